using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>English-like text of an exact token length, from a fixed seed (the same idea as the llama.cpp baseline).</summary>
internal sealed class TextGenerator(Tokenizer tokenizer, int seed)
{
    private static readonly string[] Words = (
        "the of and to in a is that for it as was with be by on not he this are or his from at which but have an " +
        "they you were her all she there would their we him been has when who will more no if out so said what up its about " +
        "into than them can only other new some could time these two may then do first any my now such like our over man me " +
        "even most made after also did many before must through back years where much your way well down should because each " +
        "just those people how too little state good very make world still own see men work long get here between both life " +
        "system search retrieval document ranking embedding vector model query index passage relevant answer information " +
        "language network learning data compute memory latency throughput server cluster storage database question science " +
        "history river mountain village market government research energy climate economy health water library software").Split(' ');

    private readonly Random _random = new(seed);

    /// <summary>Token ids of English-like text, exactly <paramref name="tokens"/> long.</summary>
    public int[] TokenIds(int tokens)
    {
        var ids = new List<int>();
        while (ids.Count < tokens)
        {
            var count = 6 + _random.Next(12);
            var sentence = string.Join(' ', Enumerable.Range(0, count).Select(_ => Words[_random.Next(Words.Length)]));
            tokenizer.EncodeContent((ids.Count == 0 ? "" : " ") + char.ToUpperInvariant(sentence[0]) + sentence[1..] + ".", ids);
        }
        return ids.Take(tokens).ToArray();
    }

    /// <summary>Text of about <paramref name="tokens"/> tokens.</summary>
    public string Text(int tokens) => tokenizer.Decode(TokenIds(tokens));
}
