using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace Sift.Tests.Fuzz;

/// <summary>
/// Seeded mutations of valid inputs: bytes flipped, set to boundary values, inserted, deleted,
/// duplicated or cut off, and 4- or 8-byte fields overwritten with boundary integers (the counts,
/// lengths and offsets of binary headers); for JSON, values replaced by values of other types and
/// sizes, and properties dropped.
/// </summary>
internal sealed class Mutator(int seed, int longestString = 20_000)
{
    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'{', (byte)'[', (byte)'\\'];
    private static readonly ulong[] InterestingIntegers =
        [0, 1, 2, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1UL << 32, 1UL << 40, long.MaxValue, ulong.MaxValue];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>1 to 4 byte-level mutations of <paramref name="input"/>.</summary>
    public byte[] Bytes(byte[] input)
    {
        var bytes = new List<byte>(input);
        Span<byte> field = stackalloc byte[8];
        for (var n = 1 + _random.Next(4); n > 0 && bytes.Count > 0; n--)
        {
            var at = _random.Next(bytes.Count);
            switch (_random.Next(8))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes[at] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                    break;
                case 2:
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + _random.Next(16)).Select(_ => (byte)_random.Next(256)));
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + _random.Next(64)));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                    var length = Math.Min(bytes.Count - at, 1 + _random.Next(64));
                    bytes.InsertRange(_random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                default:
                    // A field of a binary header: a count, a length, an offset.
                    var width = _random.Next(2) == 0 ? 4 : 8;
                    if (at + width <= bytes.Count)
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(field, InterestingIntegers[_random.Next(InterestingIntegers.Length)]);
                        for (var i = 0; i < width; i++)
                        {
                            bytes[at + i] = field[i];
                        }
                    }
                    break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>1 to 3 structural mutations of a JSON document (a copy).</summary>
    public JsonNode Json(JsonNode input)
    {
        var root = input.DeepClone();
        for (var n = 1 + _random.Next(3); n > 0; n--)
        {
            var nodes = Descendants(root).ToList();
            var target = nodes[_random.Next(nodes.Count)];
            if (target.Parent is JsonObject parent && _random.Next(4) == 0)
            {
                parent.Remove(target.GetPropertyName());
                continue;
            }
            var replacement = Value(depth: 0);
            switch (target.Parent)
            {
                case JsonObject owner:
                    owner[target.GetPropertyName()] = replacement;
                    break;
                case JsonArray array:
                    array[target.GetElementIndex()] = replacement;
                    break;
                default:
                    root = replacement ?? JsonValue.Create(0);
                    break;
            }
        }
        return root;
    }

    private JsonNode? Value(int depth) => _random.Next(depth > 2 ? 10 : 13) switch
    {
        0 => null,
        1 => JsonValue.Create(true),
        2 => JsonValue.Create(-1),
        3 => JsonValue.Create(0),
        4 => JsonValue.Create(1e300),
        5 => JsonValue.Create(long.MaxValue),
        6 => JsonValue.Create(""),
        7 => JsonValue.Create(new string('x', 1 + _random.Next(longestString))),
        8 => JsonValue.Create("\u0000\uFFFD<|im_end|>中文 \ud83d\ude00"),
        9 => JsonValue.Create(_random.Next(200_000)),
        10 => new JsonArray(),
        11 => new JsonArray(Enumerable.Range(0, _random.Next(5)).Select(_ => Value(depth + 1)).ToArray()),
        _ => new JsonObject { ["text"] = Value(depth + 1), ["id"] = JsonValue.Create(_random.Next(10)) },
    };

    private static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
        {
            foreach (var descendant in Descendants(child))
            {
                yield return descendant;
            }
        }
    }
}
