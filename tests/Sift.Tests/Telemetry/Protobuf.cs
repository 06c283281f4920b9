using System.Text;

namespace Sift.Tests.Telemetry;

/// <summary>The protobuf wire format, read field by field (enough to walk OTLP messages).</summary>
public static class Protobuf
{
    public sealed record Field(int Number, int WireType, ulong Varint, byte[] Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes);
    }

    public static IEnumerable<Field> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message, ref position);
            var number = (int)(key >> 3);
            var wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    yield return new Field(number, wireType, ReadVarint(message, ref position), []);
                    break;
                case 1:
                    yield return new Field(number, wireType, BitConverter.ToUInt64(message, position), message[position..(position + 8)]);
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    yield return new Field(number, wireType, 0, message[position..(position + length)]);
                    position += length;
                    break;
                case 5:
                    yield return new Field(number, wireType, BitConverter.ToUInt32(message, position), message[position..(position + 4)]);
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wireType} of field {number} is not protobuf");
            }
        }
    }

    private static ulong ReadVarint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
