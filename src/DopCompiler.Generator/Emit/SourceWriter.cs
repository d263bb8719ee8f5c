using System;
using System.Globalization;
using System.Text;

namespace DopCompiler.Generator.Emit
{
    /// <summary>Indented text with '\n' line ends and invariant-culture numbers, so output is byte-identical everywhere.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _indent;

        public void Line(string text = "")
        {
            if (text.Length > 0)
            {
                _builder.Append(' ', _indent * 4);
                _builder.Append(text);
            }

            _builder.Append('\n');
        }

        public void Open(string text)
        {
            Line(text);
            Line("{");
            _indent++;
        }

        public void Close(string suffix = "")
        {
            _indent--;
            Line("}" + suffix);
        }

        public override string ToString() => _builder.ToString();

        public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>A C# double literal that round-trips.</summary>
        public static string DoubleLiteral(double value)
        {
            if (double.IsNaN(value))
            {
                return "double.NaN";
            }

            if (double.IsInfinity(value))
            {
                return value > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity";
            }

            var text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.IndexOfAny(new[] { '.', 'E' }) >= 0 ? text : text + ".0";
        }

        /// <summary>A number for prose: 4 significant digits.</summary>
        public static string Short(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

        public static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

        /// <summary>FLOPs with a unit: <c>9.47 TFLOPs</c>.</summary>
        public static string Flops(double flops)
        {
            var units = new[] { (1e12, "TFLOPs"), (1e9, "GFLOPs"), (1e6, "MFLOPs"), (1e3, "kFLOPs") };
            foreach (var (scale, unit) in units)
            {
                if (Math.Abs(flops) >= scale)
                {
                    return (flops / scale).ToString("0.###", CultureInfo.InvariantCulture) + " " + unit;
                }
            }

            return flops.ToString("0", CultureInfo.InvariantCulture) + " FLOPs";
        }

        /// <summary>A C# string literal.</summary>
        public static string StringLiteral(string value)
        {
            var builder = new StringBuilder("\"");
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"': builder.Append("\\\""); break;
                    case '\\': builder.Append("\\\\"); break;
                    case '\n': builder.Append("\\n"); break;
                    case '\r': builder.Append("\\r"); break;
                    case '\t': builder.Append("\\t"); break;
                    default:
                        if (c < ' ')
                        {
                            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            return builder.Append('"').ToString();
        }

        /// <summary>Text safe inside XML doc comments.</summary>
        public static string Xml(string value) => value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\n", " ").Replace("\r", " ");
    }
}
