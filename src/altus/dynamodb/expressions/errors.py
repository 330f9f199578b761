"""The one failure of the expression language, ``ExpressionProblem``, and the texts
DynamoDB puts in the ValidationException it answers with.

A problem found while parsing an expression is worded ``Invalid <Kind>: <detail>``
(``Invalid UpdateExpression: Syntax error; ...``); problems found against an item, in
the placeholder maps, or across a request's expressions are bare. The texts come from
DynamoDB's own answers as quoted in issue threads and in test suites written against
DynamoDB (dynalite's, ScyllaDB Alternator's, the nubo-db conformance suite); a text
marked ``# text not verified`` was not found quoted and is Altus's best reading.
"""

from __future__ import annotations

#: The type names attribute_type accepts, in the order DynamoDB lists them (the order
#: it prints varies between calls: dynalite's tests).
TYPE_NAMES = ("B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M")
#: The type names ADD and DELETE print for an operand they refuse.
LONG_TYPE_NAMES = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "M": "MAP",
    "L": "LIST",
    # Sets are never refused by name (ADD and DELETE take sets); the names are for
    # completeness. (text not verified)
    "SS": "STRING_SET",
    "NS": "NUMBER_SET",
    "BS": "BINARY_SET",
}


class ExpressionProblem(Exception):
    """An expression DynamoDB refuses; ``message`` is the whole ValidationException
    text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invalid(kind: str, detail: str) -> ExpressionProblem:
    """A parse-time problem of the expression parameter ``kind``."""
    return ExpressionProblem(f"Invalid {kind}: {detail}")


# -- parse-time details (prefixed "Invalid <Kind>: ") --------------------------------

EMPTY = "The expression can not be empty;"
REDUNDANT_PARENTHESES = "The expression has redundant parentheses;"


def syntax(token: str, near: str) -> str:
    return f'Syntax error; token: "{token}", near: "{near}"'


def unknown_function(name: str) -> str:
    return f"Invalid function name; function: {name}"


def misused_function(name: str) -> str:
    return f"The function is not allowed to be used this way in an expression; function: {name}"


def not_in_condition(name: str) -> str:
    # Users quote "The function is not allowed in a condition expression" for
    # if_not_exists; the "; function:" tail is the house pattern. (text not verified)
    return f"The function is not allowed in a condition expression; function: {name}"


def not_in_update(name: str) -> str:
    # Quoted by emulators for size() and contains() in SET. (text not verified)
    return f"The function is not allowed in an update expression; function: {name}"


def reserved(word: str) -> str:
    return f"Attribute name is a reserved keyword; reserved keyword: {word}"


def undefined_name(placeholder: str) -> str:
    return (
        "An expression attribute name used in the document path is not defined; "
        f"attribute name: {placeholder}"
    )


def undefined_value(placeholder: str) -> str:
    return (
        "An expression attribute value used in expression is not defined; "
        f"attribute value: {placeholder}"
    )


def operand_count(name: str, count: int) -> str:
    return (
        "Incorrect number of operands for operator or function; "
        f"operator or function: {name}, number of operands: {count}"
    )


def operand_type(name: str, kind: str) -> str:
    return (
        "Incorrect operand type for operator or function; "
        f"operator or function: {name}, operand type: {kind}"
    )


def update_operand_type(clause: str, kind: str) -> str:
    """ADD's and DELETE's wording: "operator:", and the long type name."""
    return (
        "Incorrect operand type for operator or function; "
        f"operator: {clause}, operand type: {LONG_TYPE_NAMES[kind]}"
    )


def needs_path(name: str) -> str:
    return f"Operator or function requires a document path; operator or function: {name}"


def not_distinct(name: str, path: str) -> str:
    return (
        "The first operand must be distinct from the remaining operands for this "
        f"operator or function; operator: {name}, first operand: {path}"
    )


def type_name(name: str) -> str:
    return (
        f"Invalid attribute type name found; type: {name}, valid types: {{{','.join(TYPE_NAMES)}}}"
    )


#: What attribute_type says when its second operand is a path rather than a value
#: (the set's order varies on DynamoDB's side: dynalite's tests).
ANY_TYPE = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"


def between_types(low: str, high: str) -> str:
    return (
        "The BETWEEN operator requires same data type for lower and upper bounds; "
        f"lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
    )


def between_order(low: str, high: str) -> str:
    return (
        "The BETWEEN operator requires upper bound to be greater than or equal to lower "
        f"bound; lower bound operand: AttributeValue: {low}, "
        f"upper bound operand: AttributeValue: {high}"
    )


def too_many_operands(count: int) -> str:
    return f"The IN operator is provided with too many operands; number of operands: {count}"


def section_twice(clause: str) -> str:
    return f'The "{clause}" section can only be used once in an update expression;'


def overlap(one: str, two: str) -> str:
    return (
        "Two document paths overlap with each other; must remove or rewrite one of these "
        f"paths; path one: {one}, path two: {two}"
    )


def conflict(one: str, two: str) -> str:
    return (
        "Two document paths conflict with each other; must remove or rewrite one of these "
        f"paths; path one: {one}, path two: {two}"
    )


def too_deep() -> str:
    # Altus's own limit, so that no expression exhausts Python's stack; DynamoDB
    # bounds expressions by length (4 KB) only. (text not verified)
    return "The expression is nested too deeply;"


# -- found against an item (bare) ---------------------------------------------------

INVALID_DOCUMENT_PATH = "The document path provided in the update expression is invalid for update"
INCORRECT_DATA_TYPE = "An operand in the update expression has an incorrect data type"
MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"

# -- the placeholder maps and the request as a whole (bare) --------------------------

NAMES_EMPTY = "ExpressionAttributeNames must not be empty"
VALUES_EMPTY = "ExpressionAttributeValues must not be empty"


def invalid_key(parameter: str, key: str) -> str:
    return f'{parameter} contains invalid key: Syntax error; key: "{key}"'


def unused(parameter: str, keys: list[str]) -> str:
    return f"Value provided in {parameter} unused in expressions: keys: {{{', '.join(keys)}}}"


# -- key conditions against the key schema (bare) ------------------------------------


def key_operator(operator: str) -> str:
    return f"Invalid operator used in KeyConditionExpression: {operator}"


KEY_NESTED_OPERATION = "KeyConditionExpressions cannot contain nested operations"
KEY_NESTED_ATTRIBUTE = "KeyConditionExpressions cannot have conditions on nested attributes"
KEY_MULTIPLE_NAMES = (
    "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
)
KEY_NO_ATTRIBUTE = "Invalid condition in KeyConditionExpression: No key attribute specified"
KEY_ONE_PER_KEY = "KeyConditionExpressions must only contain one condition per key"
KEY_COUNT = "Conditions can be of length 1 or 2 only"
KEY_NOT_SUPPORTED = "Query key condition not supported"


def key_first_operand(operator: str) -> str:
    return (
        f"Invalid condition in KeyConditionExpression: {operator} operator must have the key "
        "attribute as its first operand"
    )


def key_missed(name: str) -> str:
    return f"Query condition missed key schema element: {name}"
