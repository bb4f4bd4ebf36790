"""The canonical layout: the exact text `lemonc fmt` prints around each token.

The formatter prints with these constants and the layout-strict grammar variant fills the
grammar's layout slots with them, so constrained decoding produces formatted specs by
construction: there is one definition of "canonical" and two consumers.
"""

INDENT = "    "

# Layout slots of lemon.lark -> the text fmt prints in that slot.
SLOTS = {
    "_sp": " ",
    "_nl_item": "\n" + INDENT,  # before the first item of a team
    "_nl_blank": "\n\n" + INDENT,  # between team items: one blank line
    "_nl_field": "\n" + INDENT * 2,  # before each field of an agent or role
    "_nl_close0": "\n",  # before a team's closing brace
    "_nl_close1": "\n" + INDENT,  # before an agent's or role's closing brace
}

# Keyword terminals that carry their separating whitespace (see lemon.lark).
KEYWORDS = {"USE": "use ", "ROLE": "role ", "TEAM": "team ", "AGENT": "agent "}

# fmt's spelling of a one-line string: these characters are escaped, nothing else is.
STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n"}
