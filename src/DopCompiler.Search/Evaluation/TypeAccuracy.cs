namespace DopCompiler.Search.Evaluation;

public sealed record TypeAccuracy(int Correct, int Total)
{
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}
