"""What the reader gives back."""


class Parsed:
    """What the reader found.

    fmt: "resourcelist" or "stream"; header: (apiVersion, kind) of a
    ResourceList; items: [Item]; function_config: Item or None;
    errors: [InputError] for the parts that could not be read (the rest of
    the input is still in `items`); dash_prefix: the `- ` the items of a
    ResourceList stand after; line_break: the input's, "\r\n" when every
    line break of it was one (the text the items hold has LF).
    """

    def __init__(self, fmt, header=None, items=None, function_config=None, errors=None, dash_prefix="- "):
        self.fmt = fmt
        self.header = header or ("config.kubernetes.io/v1", "ResourceList")
        self.items = items or []
        self.function_config = function_config
        self.errors = errors or []
        self.dash_prefix = dash_prefix
        self.line_break = "\n"
