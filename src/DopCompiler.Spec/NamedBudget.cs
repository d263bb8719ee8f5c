namespace DopCompiler.Spec;

/// <summary>One entry of <c>budgets:</c>: its name (the generated <c>Variant</c> member is its PascalCase) and budget.</summary>
public sealed record NamedBudget(string Name, BudgetSpec Budget);
