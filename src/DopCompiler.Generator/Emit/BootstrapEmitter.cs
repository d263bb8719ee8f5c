namespace DopCompiler.Generator.Emit
{
    /// <summary>The one module initializer per compilation: native libraries load before any user code touches TorchSharp.</summary>
    internal static class BootstrapEmitter
    {
        public const string HintName = "DopCompiler.Bootstrap.g.cs";

        public static string Emit(string generatorVersion)
        {
            var w = new SourceWriter();
            ClassEmitter.Banner(w, "for the DOP policies of this project");
            w.Line("#nullable enable");
            w.Line("#pragma warning disable CA2255 // a module initializer is the point: native loading must precede user code");
            w.Line();
            w.Open("namespace DopCompiler.Generated");
            w.Line("[global::System.CodeDom.Compiler.GeneratedCode(" + SourceWriter.StringLiteral(ClassEmitter.GeneratorName) + ", " + SourceWriter.StringLiteral(generatorVersion) + ")]");
            w.Open("internal static class DopModuleInitializer");
            w.Line("/// <summary>Loads libtorch and TorchSharp's native shim; failures surface from the generated <c>Load</c> methods.</summary>");
            w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
            w.Line("internal static void Initialize() => global::DopCompiler.Runtime.DopBootstrap.Initialize();");
            w.Close();
            w.Close();
            return w.ToString();
        }
    }
}
