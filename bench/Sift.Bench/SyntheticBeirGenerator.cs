using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sift.Bench;

/// <summary>
/// Writes a BEIR-format folder of any size for measuring <c>sift eval</c>: documents in English
/// (70%), Chinese (20%) and Japanese (10%) about seeded topics, each topic with rare keywords and
/// each document with a unique code; a query names one document's keywords (and sometimes its
/// code), judged 2 for that document and 1 for up to three others of its topic. Seeded: the same
/// arguments write the same files.
/// </summary>
internal static class SyntheticBeirGenerator
{
    private const int TopicCount = 500;
    private const int KeywordsPerTopic = 3;

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] CommonWords =
        ("the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there " +
         "one all we their can has more when will would if no out so said what up its about into than them only other new some could time " +
         "these two may then do first any my now such like our over man me even most made after also did many before must through back years " +
         "where much your way well down should because each just those people how too little state good very make world still own see men work " +
         "long get here between both life being under never day same another know while last might us great old year off come since against go " +
         "came right used take three system report service network device battery signal storage memory process value result").Split(' ');

    private const string ChineseCharacters = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严";
    private const string JapaneseKana = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロ";

    public static void Run(BenchOptions options)
    {
        var output = options.Output ?? throw new ArgumentException("--out DIR is required");
        var documents = options.Documents;
        var queries = options.Queries;
        var random = new Random(options.Seed);
        var topics = Enumerable.Range(0, TopicCount).Select(_ => Enumerable.Range(0, KeywordsPerTopic).Select(_ => Keyword(random)).ToArray()).ToArray();
        var chineseTopics = Enumerable.Range(0, TopicCount).Select(_ => Enumerable.Range(0, KeywordsPerTopic).Select(_ => Han(random, 2)).ToArray()).ToArray();

        Directory.CreateDirectory(Path.Combine(output, "qrels"));
        var documentTopic = new int[documents];
        var documentLanguage = new char[documents];
        var documentKeywords = new string[documents][];
        using (var corpus = new StreamWriter(Path.Combine(output, "corpus.jsonl"), false, new UTF8Encoding(false)))
        {
            for (var d = 0; d < documents; d++)
            {
                var topic = random.Next(TopicCount);
                var language = random.NextDouble() switch { < 0.7 => 'e', < 0.9 => 'z', _ => 'j' };
                var keywords = (language == 'e' ? topics : chineseTopics)[topic];
                var chosen = keywords.OrderBy(_ => random.Next()).Take(random.Next(1, KeywordsPerTopic + 1)).ToArray();
                var text = language switch
                {
                    'e' => EnglishText(random, chosen, Code(d)),
                    'z' => CjkText(random, chosen, Code(d), ChineseCharacters),
                    _ => CjkText(random, chosen, Code(d), JapaneseKana + ChineseCharacters[..200]),
                };
                documentTopic[d] = topic;
                documentLanguage[d] = language;
                documentKeywords[d] = chosen;
                corpus.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = Id(d), ["title"] = "", ["text"] = text }, Json));
            }
        }
        using var queryFile = new StreamWriter(Path.Combine(output, "queries.jsonl"), false, new UTF8Encoding(false));
        using var qrels = new StreamWriter(Path.Combine(output, "qrels", "test.tsv"), false, new UTF8Encoding(false));
        qrels.WriteLine("query-id\tcorpus-id\tscore");
        var byTopic = Enumerable.Range(0, documents).ToLookup(d => (documentTopic[d], documentLanguage[d] == 'e'));
        for (var q = 0; q < queries; q++)
        {
            var target = random.Next(documents);
            var keywords = documentKeywords[target];
            var english = documentLanguage[target] == 'e';
            var words = new List<string> { keywords[random.Next(keywords.Length)] };
            if (random.NextDouble() < 0.3)
            {
                words.Add(Code(target));
            }
            if (english)
            {
                words.InsertRange(0, Enumerable.Range(0, random.Next(1, 4)).Select(_ => CommonWords[random.Next(CommonWords.Length)]));
            }
            var id = $"q{q:D5}";
            queryFile.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = id, ["text"] = string.Join(english ? " " : "", words) }, Json));
            qrels.WriteLine($"{id}\t{Id(target)}\t2");
            foreach (var related in byTopic[(documentTopic[target], english)].Where(d => d != target).Take(3))
            {
                qrels.WriteLine($"{id}\t{Id(related)}\t1");
            }
        }
        Console.WriteLine($"wrote {documents} documents and {queries} queries to {output} (seed {options.Seed})");
    }

    private static string Id(int document) => $"doc{document:D6}";

    private static string Code(int document) => $"SX-{document * 7919 % 1000003:D7}";

    private static string Keyword(Random random)
    {
        const string consonants = "bcdfghjklmnprstvwxz";
        const string vowels = "aeiou";
        var builder = new StringBuilder();
        for (var i = 0; i < random.Next(3, 5); i++)
        {
            builder.Append(consonants[random.Next(consonants.Length)]).Append(vowels[random.Next(vowels.Length)]);
        }
        return builder.ToString();
    }

    private static string Han(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => ChineseCharacters[random.Next(ChineseCharacters.Length)]).ToArray());

    private static string EnglishText(Random random, string[] keywords, string code)
    {
        var words = Enumerable.Range(0, random.Next(60, 120)).Select(_ => CommonWords[random.Next(CommonWords.Length)]).ToList();
        foreach (var keyword in keywords.Append(code))
        {
            words.Insert(random.Next(words.Count), keyword);
        }
        return string.Join(' ', words) + ".";
    }

    private static string CjkText(Random random, string[] keywords, string code, string alphabet)
    {
        var characters = Enumerable.Range(0, random.Next(80, 160)).Select(_ => alphabet[random.Next(alphabet.Length)].ToString(CultureInfo.InvariantCulture)).ToList();
        foreach (var keyword in keywords.Append(code))
        {
            characters.Insert(random.Next(characters.Count), keyword);
        }
        return string.Concat(characters) + "。";
    }
}
