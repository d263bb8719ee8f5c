namespace DopCompiler.Inputs.Diagnostics;

/// <summary>Every <c>DOP0xx</c> code this project raises (DOP020–DOP039); docs/spec.md lists meaning and fix.</summary>
public static class SpecDiagnosticCodes
{
    /// <summary>The spec is not valid YAML (or is empty, or is not a mapping at the top).</summary>
    public const string YamlSyntax = "DOP020";

    /// <summary>A key the spec does not know; the message suggests the nearest known key.</summary>
    public const string UnknownKey = "DOP021";

    /// <summary>A value has the wrong type (a list where a number is expected, a quoted number, ...).</summary>
    public const string WrongType = "DOP022";

    /// <summary>A value is out of its range, or not one of the allowed words.</summary>
    public const string OutOfRange = "DOP023";

    /// <summary>A required key is missing.</summary>
    public const string MissingKey = "DOP024";

    /// <summary>A file or folder the spec names does not exist (or the model folder lacks config.json).</summary>
    public const string FileNotFound = "DOP025";

    /// <summary>Keys that exclude each other are both given (two budgets, cls_split on a non-image group).</summary>
    public const string ConflictingKeys = "DOP026";

    /// <summary>A key appears twice in one mapping.</summary>
    public const string DuplicateKey = "DOP027";

    /// <summary>A class name, namespace or group name is not a valid identifier.</summary>
    public const string InvalidIdentifier = "DOP028";

    /// <summary>Two token groups share a name or a prompt source.</summary>
    public const string DuplicateGroup = "DOP029";

    /// <summary>Nothing can be pruned: no group is prunable, or no module is listed.</summary>
    public const string NothingPrunable = "DOP030";

    /// <summary>A validation-set line is not valid JSON, or not a JSON object.</summary>
    public const string ValidationJson = "DOP031";

    /// <summary>A validation sample lacks a required field, or a field has the wrong JSON type.</summary>
    public const string ValidationField = "DOP032";

    /// <summary>A validation sample's image file does not exist.</summary>
    public const string ImageNotFound = "DOP033";

    /// <summary>An image file is not a PNG/JPEG/BMP/TGA/GIF/PSD/HDR image, or cannot be decoded.</summary>
    public const string ImageDecode = "DOP034";

    /// <summary>An image is larger than 8192 pixels on a side.</summary>
    public const string ImageTooLarge = "DOP035";

    /// <summary>A preprocessor_config.json is malformed or asks for an unsupported transform.</summary>
    public const string PreprocessorConfig = "DOP036";

    /// <summary>The validation set has no samples.</summary>
    public const string ValidationEmpty = "DOP037";

    /// <summary>All codes with their one-line meanings, in code order (for docs and tests).</summary>
    public static IReadOnlyList<(string Code, string Meaning)> All { get; } =
    [
        (YamlSyntax, "The spec is not valid YAML, is empty, or its top level is not a mapping."),
        (UnknownKey, "Unknown key (the message suggests the nearest known key)."),
        (WrongType, "A value has the wrong type."),
        (OutOfRange, "A value is out of range or not one of the allowed words."),
        (MissingKey, "A required key is missing."),
        (FileNotFound, "A file or folder named by the spec does not exist, or the model folder lacks config.json."),
        (ConflictingKeys, "Keys that exclude each other are both given."),
        (DuplicateKey, "A key appears twice in one mapping."),
        (InvalidIdentifier, "A class name, namespace or group name is not a valid identifier."),
        (DuplicateGroup, "Two token groups share a name or a prompt source."),
        (NothingPrunable, "No group is prunable or no module is listed: there is nothing to search."),
        (ValidationJson, "A validation-set line is not a valid JSON object."),
        (ValidationField, "A validation sample lacks a required field or a field has the wrong JSON type."),
        (ImageNotFound, "A validation sample's image file does not exist."),
        (ImageDecode, "An image file is not a supported image or cannot be decoded."),
        (ImageTooLarge, "An image is larger than 8192 pixels on a side."),
        (PreprocessorConfig, "A preprocessor_config.json is malformed or asks for an unsupported transform."),
        (ValidationEmpty, "The validation set has no samples."),
    ];
}
