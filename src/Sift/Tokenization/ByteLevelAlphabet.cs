namespace Sift.Tokenization;

/// <summary>
/// The GPT-2 byte-to-unicode table that byte-level BPE vocabularies are written in: printable
/// Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100 upwards. Sift runs BPE
/// on raw bytes, so the table is only needed to read the vocabulary and merges.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    /// <summary>Decodes a vocabulary string back to the bytes it stands for.</summary>
    /// <returns>false when the string holds a character outside the byte-level alphabet.</returns>
    public static bool TryDecode(string token, out byte[] bytes)
    {
        bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out var b))
            {
                return false;
            }
            bytes[i] = b;
        }
        return true;
    }

    /// <summary>Encodes bytes as a vocabulary string (the inverse of <see cref="TryDecode"/>).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                chars[i] = ByteToChar[source[i]];
            }
        });
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
        {
            map[ByteToChar[b]] = (byte)b;
        }
        return map;
    }
}
