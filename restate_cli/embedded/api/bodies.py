"""The admin API's and Kafka API's inputs as pydantic models: request bodies, and the query
parameters of the operations that take any.

Field names, types and the order of fields are restate-server's (its Rust structs, read by
serde; see ``protocol.structs``), so an invalid body gets its answer, and
``GET /openapi`` describes the same models. ``REQUEST_BODIES`` and ``QUERY_PARAMETERS``
name the model of each route. Only the routes that read such input import this module.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from restate_cli import ids
from restate_cli.embedded.api import http_uri
from restate_cli.embedded.protocol.structs import U8, U32, Struct, expect, serde_error


def _uri(text: str) -> str:
    try:
        return http_uri.parse(text).text
    except http_uri.InvalidUri as e:
        raise serde_error(str(e)) from None


def _non_empty(text: str) -> str:
    if not text:
        raise serde_error("empty string")
    return text


def _duration(text: str) -> str:
    from restate_cli.durations import DurationError, parse_ms

    try:
        parse_ms(text)
    except DurationError as e:
        raise serde_error(str(e)) from None
    return text


Uri = Annotated[str, AfterValidator(_uri), Field(json_schema_extra={"format": "uri"})]
"""A URI as ``http::Uri`` reads it (``protocol_type`` of the answer says which schemes)."""
Duration = Annotated[
    str,
    expect("a human-friendly duration string"),
    AfterValidator(_duration),
    Field(description="jiff's friendly format (`5 hours`, `1h 30m`) or ISO 8601 (`PT5H`)"),
]
StateValue = Annotated[
    list[U8],
    BeforeValidator(lambda v: list(v.encode()) if isinstance(v, str) else v),
    WithJsonSchema(
        {
            "description": "the value's bytes: an array of 0..255, or a string (its UTF-8 bytes)",
            "anyOf": [
                {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}},
                {"type": "string"},
            ],
        }
    ),
]
Properties = dict[str, str]


# -- request bodies ------------------------------------------------------------------------


class QueryRequest(Struct):
    """``POST /query``: SQL over the system views."""

    query: str = Field(description="SQL query to run against the storage")


class RegisterDeploymentRequest(Struct):
    """``POST /deployments``: an HTTP deployment to discover and register."""

    uri: Uri
    additional_headers: dict[str, str] | None = None
    use_http_11: bool = False
    force: bool | None = None
    dry_run: bool = False
    breaking: bool = False
    metadata: Properties = Field(default_factory=dict)


class UpdateDeploymentRequest(Struct):
    """``PATCH /deployments/{deployment}``: a new URI and/or headers."""

    uri: Uri | None = None
    additional_headers: dict[str, str] | None = None
    use_http_11: bool | None = None
    overwrite: bool = False
    dry_run: bool = False


class ModifyServiceRequest(Struct):
    """``PATCH /services/{service}``: what changes; a null or missing field changes nothing."""

    seq_required = 0
    public: bool | None = None
    idempotency_retention: Duration | None = None
    workflow_completion_retention: Duration | None = None
    journal_retention: Duration | None = None
    inactivity_timeout: Duration | None = None
    abort_timeout: Duration | None = None


class ModifyServiceStateRequest(Struct):
    """``POST /services/{service}/state``: the new state of one key."""

    version: str | None = None
    object_key: str
    scope: str | None = None
    new_state: dict[str, Annotated[StateValue, expect("byte array")]]


class CreateKafkaClusterRequest(Struct):
    """``POST /kafka-clusters``."""

    name: Annotated[str, AfterValidator(_non_empty)]
    properties: Properties = Field(
        description="librdkafka properties, with bootstrap.servers or metadata.broker.list"
    )


class UpdateKafkaClusterRequest(Struct):
    """``PATCH /kafka-clusters/{cluster_name}``: the new properties (they replace the old)."""

    properties: Properties


class CreateSubscriptionRequest(Struct):
    """``POST /subscriptions``: ``kafka://CLUSTER/TOPIC`` to ``service://SERVICE/HANDLER``."""

    source: Uri
    sink: Uri
    options: Properties | None = None


# -- query parameters ----------------------------------------------------------------------


def _query_bool(value: str) -> bool:
    if value not in ("true", "false"):
        raise PydanticCustomError("query", "provided string was not `true` or `false`")
    return value == "true"


def _query_u32(value: str) -> int:
    """As Rust's ``u32::from_str``."""
    digits = value[1:] if value.startswith("+") else value
    if not value:
        raise PydanticCustomError("query", "cannot parse integer from empty string")
    if not digits.isascii() or not digits.isdigit():
        raise PydanticCustomError("query", "invalid digit found in string")
    if int(digits) >= 2**32:
        raise PydanticCustomError("query", "number too large to fit in target type")
    return int(digits)


def _deployment_choice(value: str) -> str:
    if value.lower() not in ("latest", "keep"):
        try:
            ids.check(value, "dp")
        except ids.IdError as e:
            raise PydanticCustomError("query_value", "{reason}", {"reason": str(e)}) from None
    return value


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
DeploymentChoice = Annotated[
    str,
    AfterValidator(_deployment_choice),
    Field(description="`latest`, `keep`, or a deployment id"),
]


class QueryParameters(BaseModel):
    """A query string as serde_urlencoded reads it into a struct."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    in_query: ClassVar[bool] = True


class DeleteInvocationParameters(QueryParameters):
    """``DELETE /invocations/{invocation_id}`` (deprecated): what to do."""

    mode: Literal["Cancel", "cancel", "Kill", "kill", "Purge", "purge"] = "cancel"


class ResumeParameters(QueryParameters):
    """``PATCH /invocations/{invocation_id}/resume``."""

    deployment: DeploymentChoice | None = None


class RestartAsNewParameters(QueryParameters):
    """``PATCH /invocations/{invocation_id}/restart-as-new``."""

    from_: Annotated[U32 | None, BeforeValidator(_query_u32)] = Field(default=None, alias="from")
    deployment: DeploymentChoice | None = None


class ForceParameters(QueryParameters):
    """``DELETE /deployments/{deployment}``, ``DELETE /kafka-clusters/{cluster_name}``."""

    force: QueryBool = False


class KafkaClusterParameters(QueryParameters):
    """``GET /kafka-clusters/{cluster_name}``."""

    include_subscriptions: QueryBool = False


REQUEST_BODIES: dict[tuple[str, str], type[Struct]] = {
    ("POST", "/query"): QueryRequest,
    ("POST", "/deployments"): RegisterDeploymentRequest,
    ("PATCH", "/deployments/{deployment}"): UpdateDeploymentRequest,
    ("PATCH", "/services/{service}"): ModifyServiceRequest,
    ("POST", "/services/{service}/state"): ModifyServiceStateRequest,
    ("POST", "/kafka-clusters"): CreateKafkaClusterRequest,
    ("PATCH", "/kafka-clusters/{cluster_name}"): UpdateKafkaClusterRequest,
    ("POST", "/subscriptions"): CreateSubscriptionRequest,
}
QUERY_PARAMETERS: dict[tuple[str, str], type[QueryParameters]] = {
    ("DELETE", "/invocations/{invocation_id}"): DeleteInvocationParameters,
    ("PATCH", "/invocations/{invocation_id}/resume"): ResumeParameters,
    ("PATCH", "/invocations/{invocation_id}/restart-as-new"): RestartAsNewParameters,
    ("DELETE", "/deployments/{deployment}"): ForceParameters,
    ("DELETE", "/kafka-clusters/{cluster_name}"): ForceParameters,
    ("GET", "/kafka-clusters/{cluster_name}"): KafkaClusterParameters,
}
