using System.Collections.Generic;
using System.Linq;
using DopCompiler.Generator.Model;

namespace DopCompiler.Generator.Emit
{
    /// <summary>
    /// The unrolled decoder: one method per layer with its kept groups as constants, and one comment line saying what
    /// the layer keeps and what it prunes. A layer's body is the same text whenever its row of the policy is the same,
    /// so a budget change only touches the layers it changes.
    /// </summary>
    internal static class LayerEmitter
    {
        public const string SequenceType = "global::DopCompiler.Runtime.DopSequence";

        public static void EmitRunLayers(SourceWriter w, ClassSpec spec)
        {
            if (spec.Variants.Count > 0)
            {
                EmitVariantDispatch(w, spec);
                return;
            }

            w.Line("/// <summary>The policy unrolled: each layer's kept token groups are constants below.</summary>");
            w.Open("protected override void RunLayers(" + SequenceType + " sequence)");
            foreach (var layer in spec.Layers)
            {
                w.Line("Layer" + SourceWriter.Int(layer.Layer) + "(sequence);");
            }

            w.Close();
        }

        public static void EmitLayers(SourceWriter w, ClassSpec spec)
        {
            if (spec.Variants.Count == 0)
            {
                EmitLayers(w, spec, "", spec.Layers);
                return;
            }

            foreach (var variant in spec.Variants)
            {
                w.Line();
                w.Line("// ---- variant " + variant.Name + " ----");
                w.Line();
                w.Line("/// <summary>Variant <c>" + SourceWriter.Xml(variant.Name) + "</c> unrolled.</summary>");
                w.Open("private static void Run" + variant.Identifier + "(" + SequenceType + " s)");
                foreach (var layer in variant.Layers)
                {
                    w.Line(variant.Identifier + "Layer" + SourceWriter.Int(layer.Layer) + "(s);");
                }

                w.Close();
                EmitLayers(w, spec, variant.Identifier, variant.Layers);
            }
        }

        /// <summary>
        /// A class of several variants: the default entry runs the first; the other dispatches on the variant's index (the
        /// <c>Variant</c> enum's value), each variant unrolled in its own methods (<c>FastLayer0</c>, ...).
        /// </summary>
        private static void EmitVariantDispatch(SourceWriter w, ClassSpec spec)
        {
            w.Line("/// <summary>The default variant, <see cref=\"Variant." + spec.Variants[0].Identifier + "\"/>.</summary>");
            w.Line("protected override void RunLayers(" + SequenceType + " sequence) => RunLayers(sequence, 0);");
            w.Line();
            w.Line("/// <summary>The variant's policy unrolled: <paramref name=\"variant\"/> is a <see cref=\"Variant\"/> value.</summary>");
            w.Open("protected override void RunLayers(" + SequenceType + " sequence, int variant)");
            w.Open("switch (variant)");
            for (var i = 0; i < spec.Variants.Count; i++)
            {
                w.Line("case " + SourceWriter.Int(i) + ":");
                w.Line("    Run" + spec.Variants[i].Identifier + "(sequence);");
                w.Line("    break;");
            }

            w.Line("default:");
            w.Line("    throw new global::System.ArgumentOutOfRangeException(nameof(variant), variant, \"not a Variant of " + spec.ClassName + "\");");
            w.Close();
            w.Close();
        }

        private static void EmitLayers(SourceWriter w, ClassSpec spec, string prefix, EquatableArray<LayerSpec> layers)
        {
            uint alive = (1u << spec.Groups.Count) - 1;
            foreach (var layer in layers)
            {
                alive &= ~layer.Dropped;
                w.Line();
                w.Line("// " + Describe(spec, layer, alive));
                w.Open("private static void " + prefix + "Layer" + SourceWriter.Int(layer.Layer) + "(" + SequenceType + " s)");
                var l = SourceWriter.Int(layer.Layer);
                if (layer.Dropped != 0)
                {
                    w.Line("s.Drop(" + l + ", " + MaskExpression(spec, layer.Dropped) + ");");
                }

                // The last prompt position runs every module (the method never prunes it), so no call is ever empty.
                w.Line("s.Attention(" + l + ", " + MaskExpression(spec, layer.Attention) + ");");
                w.Line("s.Mlp(" + l + ", " + MaskExpression(spec, layer.Mlp) + ");");
                w.Close();
            }
        }

        /// <summary><c>layer 3: attention system+text, MLP text; pruned: MLP system; image tokens leave the sequence here</c>.</summary>
        public static string Describe(ClassSpec spec, LayerSpec layer, uint alive)
        {
            var text = "layer " + SourceWriter.Int(layer.Layer) + ": ";
            if (layer.Dropped != 0)
            {
                text += Names(spec, layer.Dropped) + " tokens leave the sequence here; ";
            }

            text += "attention " + Kept(spec, layer.Attention) + ", MLP " + Kept(spec, layer.Mlp);
            var pruned = new List<string>();
            if ((alive & ~layer.Attention) != 0)
            {
                pruned.Add("attention " + Names(spec, alive & ~layer.Attention));
            }

            if ((alive & ~layer.Mlp) != 0)
            {
                pruned.Add("MLP " + Names(spec, alive & ~layer.Mlp));
            }

            if (pruned.Count > 0)
            {
                text += "; pruned: " + string.Join(", ", pruned);
            }
            else if (layer.Dropped == 0)
            {
                text += "; nothing pruned";
            }

            return text;
        }

        public static string Names(ClassSpec spec, uint mask) =>
            string.Join("+", Enumerable.Range(0, spec.Groups.Count).Where(i => (mask & (1u << i)) != 0).Select(i => spec.Groups[i].Name));

        private static string Kept(ClassSpec spec, uint mask) => mask == 0 ? "last prompt position only" : Names(spec, mask);

        private static string MaskExpression(ClassSpec spec, uint mask)
        {
            var members = Enumerable.Range(0, spec.Groups.Count).Where(i => (mask & (1u << i)) != 0).Select(i => "TokenGroups." + spec.Groups[i].Identifier).ToArray();
            return members.Length switch
            {
                0 => "(uint)TokenGroups.None",
                1 => "(uint)" + members[0],
                _ => "(uint)(" + string.Join(" | ", members) + ")",
            };
        }
    }
}
