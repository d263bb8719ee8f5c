using DopCompiler.Spec.Parsing;
using DopCompiler.Inputs.Diagnostics;

namespace DopCompiler.Spec;

// 'divergence' and 'grid': how the curves are measured.
public static partial class DopSpecParser
{
    private static readonly string[] DivergenceKeys = ["positions", "max_positions"];

    private static readonly string[] GridKeys = ["step", "n_v"];

    private static readonly (string, DivergencePositions)[] PositionWords =
        [("first_answer", DivergencePositions.FirstAnswer), ("teacher_forced", DivergencePositions.TeacherForced)];

    private sealed partial class SpecBuilder
    {
        private DivergenceSpec? Divergence(YNode? node)
        {
            if (node is null)
            {
                return new DivergenceSpec();
            }

            if (reader.Mapping(node, "'divergence'", DivergenceKeys) is not { } map)
            {
                return null;
            }

            var positions = Optional(map["positions"], n => reader.Word(n, "positions", PositionWords), DivergencePositions.TeacherForced);
            var max = Optional(map["max_positions"], n => reader.Integer(n, "max_positions", 1, 64, "in [1, 64]"), 8);
            return new DivergenceSpec { Positions = positions, MaxPositions = (int)max };
        }

        private GridSpec? Grid(YNode? node)
        {
            if (node is null)
            {
                return new GridSpec();
            }

            if (reader.Mapping(node, "'grid'", GridKeys) is not { } map)
            {
                return null;
            }

            var step = Optional(map["step"], n => reader.Integer(n, "step", 1, int.MaxValue, "a positive integer"), 1);
            EquatableArray<int>? counts = null;
            if (map["n_v"] is { } nvNode)
            {
                if (nvNode is not YSequence list)
                {
                    reader.Report(SpecDiagnosticCodes.WrongType, nvNode, $"'n_v' must be a list of image-token counts, found {nvNode.KindName}.");
                    return null;
                }

                if (list.Items.Count == 0)
                {
                    reader.Report(SpecDiagnosticCodes.OutOfRange, nvNode, "'n_v' must list at least one image-token count.");
                    return null;
                }

                var values = new SortedSet<int>();
                foreach (var item in list.Items)
                {
                    if (reader.Integer(item, "n_v", 1, int.MaxValue, "a positive integer") is { } count && !values.Add((int)count))
                    {
                        reader.Report(SpecDiagnosticCodes.DuplicateKey, item, $"Count {count} is listed twice in 'n_v'.");
                    }
                }

                counts = new EquatableArray<int>(values);
            }

            return new GridSpec { Step = (int)step, NV = counts };
        }
    }
}
