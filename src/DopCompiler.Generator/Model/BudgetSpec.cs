namespace DopCompiler.Generator.Model
{
    internal sealed record BudgetSpec
    {
        public string Kind { get; init; } = "";

        public double Asked { get; init; }

        public double Reached { get; init; }

        public double FlopsFraction { get; init; }

        public string FlopsConvention { get; init; } = "";

        public double UnprunedFlops { get; init; }

        public double PrunedFlops { get; init; }

        public double PredictedKl { get; init; }

        public double MeasuredKl { get; init; }

        public string KlPositions { get; init; } = "";

        public int KlMaxPositions { get; init; }

        public int KlSamples { get; init; }
    }
}
