using System.Text;

namespace DopCompiler.Search.Tests;

/// <summary>
/// Seeded byte-level mutations of a valid input, for the fuzz harness: flips, inserts, deletions, duplicated and
/// dropped chunks, truncation, and tokens that readers get wrong (quotes, brackets, deep nesting, huge and negative
/// numbers, NaN, tabs, NUL, bytes that are not UTF-8). One seed gives one sequence of inputs, so a failure names the
/// seed and case that reproduce it.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", "\"", ":", ",", "-", "-1", "0", "1e308", "-1e308", "NaN", "Infinity", "null", "true", "9223372036854775808",
        "4294967296", "2147483648", "\t", "\n", "\r\n", " ", "\0", "\\u0000", "\\", "#", "&a", "*a", "!!str", "? ", "- ", "|", ">", "~",
        "0x10", "1.5", "-0.2", "0,5", ".nan",
    ];

    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] input)
    {
        var bytes = new List<byte>(input);
        var steps = 1 + _random.Next(4);
        for (var i = 0; i < steps; i++)
        {
            MutateOnce(bytes);
        }

        return [.. bytes];
    }

    private void MutateOnce(List<byte> bytes)
    {
        var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count + 1);
        switch (_random.Next(10))
        {
            case 0 when bytes.Count > 0: // flip bits of one byte
                bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << _random.Next(8));
                break;
            case 1: // a random byte
                bytes.Insert(at, (byte)_random.Next(256));
                break;
            case 2 when bytes.Count > 0: // delete a run
                bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(1 + _random.Next(16), bytes.Count - Math.Min(at, bytes.Count - 1)));
                break;
            case 3 when bytes.Count > 0: // duplicate a chunk somewhere else
            {
                var start = _random.Next(bytes.Count);
                var length = Math.Min(1 + _random.Next(64), bytes.Count - start);
                bytes.InsertRange(at, bytes.GetRange(start, length));
                break;
            }

            case 4 when bytes.Count > 0: // truncate
                bytes.RemoveRange(at == bytes.Count ? bytes.Count - 1 : at, bytes.Count - (at == bytes.Count ? bytes.Count - 1 : at));
                break;
            case 5: // nesting far beyond any reader's depth
            {
                var open = _random.Next(2) == 0 ? "[" : "{\"a\":";
                var depth = 50 + _random.Next(5000);
                bytes.InsertRange(at, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(open, depth))));
                break;
            }

            case 6: // bytes that are not UTF-8
                bytes.InsertRange(at, _random.Next(3) switch { 0 => [0xFF], 1 => [0xC3, 0x28], _ => [0xE2, 0x82] });
                break;
            case 7 when bytes.Count > 0: // replace a digit run with another number
            {
                var digit = bytes.FindIndex(Math.Min(at, bytes.Count - 1), b => b is >= (byte)'0' and <= (byte)'9');
                if (digit >= 0)
                {
                    var end = digit;
                    while (end < bytes.Count && bytes[end] is >= (byte)'0' and <= (byte)'9')
                    {
                        end++;
                    }

                    bytes.RemoveRange(digit, end - digit);
                    bytes.InsertRange(digit, Encoding.UTF8.GetBytes(Tokens[_random.Next(Tokens.Length)]));
                }

                break;
            }

            default: // a token
                bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[_random.Next(Tokens.Length)]));
                break;
        }
    }
}
