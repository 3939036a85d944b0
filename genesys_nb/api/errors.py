"""The one error tree of genesys_nb, the status -> error class mapping, and the fix for each class.

::

    GenesysNBError(Exception)
     +-- ConfigError(GenesysNBError, ValueError)          bad settings / environment
     +-- InputValidationError(GenesysNBError, ValueError)  "validation": inputs fail the contract
 +-- ContractSchemaError(GenesysNBError, ValueError)   an action's contract is not a valid JSON Schema
     +-- AuthenticationError(GenesysNBError)             login failed; says which credential to check
     +-- APIError(GenesysNBError)       .status_code .error_class .error_body .correlation_id
          |                             .action_id .result .retry_after_s
          +-- BadRequestError           "bad_request"      400 and other 4xx
          +-- RemoteEndpointError       "remote_endpoint"  detail ACTION.REMOTE_ENDPOINT / ACTION.AUTHENTICATION
          +-- UnauthorizedError         "auth"             401
          +-- PermissionDeniedError     "permission"       403
          +-- NotFoundError             "not_found"        404
          +-- RateLimitedError          "rate_limited"     429
          +-- ServerError               "server"           5xx
          +-- ExecutionTimeoutError     "timeout"          the client deadline (timeout_ms) passed
          +-- NetworkError              "network"          connect failure, reset, protocol error
          +-- ContractError             "contract"         a 2xx whose body is not JSON or fails the success schema
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genesys_nb.api.models import ErrorBody, FieldError

__all__ = [
    "ERROR_CLASSES",
    "REMOTE_ENDPOINT_CODES",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ContractError",
    "ContractSchemaError",
    "ExecutionTimeoutError",
    "GenesysNBError",
    "InputValidationError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RemoteEndpointError",
    "ServerError",
    "UnauthorizedError",
    "classify_status",
    "error_for_class",
    "fix_hint",
    "format_error_message",
]

ERROR_CLASSES: tuple[str, ...] = (
    "validation",
    "bad_request",
    "remote_endpoint",
    "auth",
    "permission",
    "not_found",
    "rate_limited",
    "server",
    "timeout",
    "network",
    "contract",
)

# ErrorBody detail codes meaning "the platform is fine; the action's remote endpoint failed".
REMOTE_ENDPOINT_CODES = frozenset({"ACTION.REMOTE_ENDPOINT", "ACTION.AUTHENTICATION"})

PERMISSION_EXECUTE = "integrations:action:execute"
PERMISSION_VIEW = "integrations:action:view"
_EXECUTE_OPERATIONS = frozenset({"execute", "test"})


class GenesysNBError(Exception):
    """Base class of every error genesys_nb raises on purpose."""


class ConfigError(GenesysNBError, ValueError):
    """Settings or environment variables are missing or invalid; the message names the variable."""


class ContractSchemaError(GenesysNBError, ValueError):
    """An action's contract is not a valid JSON Schema, so nothing can be checked against it."""


class InputValidationError(GenesysNBError, ValueError):
    """Inputs failed the action's input contract before anything was sent (error class ``validation``).

    ``errors`` lists every violation (FieldError with a JSON path such as ``$.priority``).
    """

    error_class = "validation"

    def __init__(
        self,
        errors: Sequence[FieldError] | str = (),
        *,
        action_id: str | None = None,
        message: str | None = None,
    ) -> None:
        if isinstance(errors, str):
            message, errors = errors, ()
        self.errors: list[FieldError] = list(errors)
        self.action_id = action_id
        if message is None:
            target = f"action {action_id}" if action_id else "the action"
            count = len(self.errors)
            lines = [f"Input for {target} fails its input contract ({count} error{'s' if count != 1 else ''}):"]
            lines += [f"  {err.path}: {err.message}" for err in self.errors]
            lines.append(f"Fix: {fix_hint('validation', action_id=action_id)}")
            message = "\n".join(lines)
        super().__init__(message)


class AuthenticationError(GenesysNBError):
    """The OAuth login (client credentials) failed; the message says which credential to check."""

    def __init__(self, message: str, *, status_code: int | None = None, oauth_error: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.oauth_error = oauth_error


class APIError(GenesysNBError):
    """The Platform API answered with an error, or the request never completed."""

    error_class: str = "server"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_class: str | None = None,
        error_body: ErrorBody | None = None,
        correlation_id: str | None = None,
        action_id: str | None = None,
        result: Any = None,  # the ExecutionResult that failed, where there is one
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        if error_class is not None:
            self.error_class = error_class
        self.error_body = error_body
        self.correlation_id = correlation_id
        self.action_id = action_id
        self.result = result
        self.retry_after_s = retry_after_s


class BadRequestError(APIError):
    """400 (or another unmapped 4xx): the platform refused the request as sent."""

    error_class = "bad_request"


class RemoteEndpointError(APIError):
    """The action ran, but the remote service it calls failed (ACTION.REMOTE_ENDPOINT / ACTION.AUTHENTICATION)."""

    error_class = "remote_endpoint"


class UnauthorizedError(APIError):
    """401: the access token was rejected even after one refresh."""

    error_class = "auth"


class PermissionDeniedError(APIError):
    """403: the OAuth client's roles lack the permission for this operation."""

    error_class = "permission"


class NotFoundError(APIError):
    """404: no action (or schema) with this id in this org."""

    error_class = "not_found"


class RateLimitedError(APIError):
    """429: the platform's rate limit was hit; ``retry_after_s`` says how long to wait."""

    error_class = "rate_limited"


class ServerError(APIError):
    """5xx from the platform."""

    error_class = "server"


class ExecutionTimeoutError(APIError):
    """The client deadline (timeout_ms) passed; the action may still have run."""

    error_class = "timeout"


class NetworkError(APIError):
    """The connection failed or broke; ``result.request_sent`` says whether the request reached the server."""

    error_class = "network"


class ContractError(APIError):
    """A 2xx response that is not JSON or does not match the action's success schema."""

    error_class = "contract"


_CLASS_BY_NAME: dict[str, type[GenesysNBError]] = {
    "validation": InputValidationError,
    "bad_request": BadRequestError,
    "remote_endpoint": RemoteEndpointError,
    "auth": UnauthorizedError,
    "permission": PermissionDeniedError,
    "not_found": NotFoundError,
    "rate_limited": RateLimitedError,
    "server": ServerError,
    "timeout": ExecutionTimeoutError,
    "network": NetworkError,
    "contract": ContractError,
}


def error_for_class(error_class: str) -> type[GenesysNBError]:
    """Return the exception class for an error class name (one of ERROR_CLASSES)."""
    try:
        return _CLASS_BY_NAME[error_class]
    except KeyError:
        raise ValueError(
            f"Unknown error class {error_class!r}; expected one of: {', '.join(ERROR_CLASSES)}"
        ) from None


def classify_status(status_code: int, error_body: ErrorBody | None = None) -> str:
    """Map an HTTP error status (and its ErrorBody) to one error class name.

    A 429 is always ``rate_limited`` (the platform's limit, with Retry-After). Any other error
    whose details carry ACTION.REMOTE_ENDPOINT or ACTION.AUTHENTICATION is ``remote_endpoint``.
    Then 401 auth, 403 permission, 404 not_found, other 4xx bad_request, 5xx server. A status
    below 400 that is not a success (1xx/3xx) is unexpected from the API and counts as ``server``.
    """
    if status_code == 429:
        return "rate_limited"
    if error_body is not None and REMOTE_ENDPOINT_CODES.intersection(error_body.detail_codes):
        return "remote_endpoint"
    if status_code == 401:
        return "auth"
    if status_code == 403:
        return "permission"
    if status_code == 404:
        return "not_found"
    if 400 <= status_code < 500:
        return "bad_request"
    return "server"


def fix_hint(
    error_class: str,
    *,
    action_id: str | None = None,
    retry_after_s: float | None = None,
    operation: str = "execute",
    timeout_ms: int | None = None,
    status_code: int | None = None,
    proxy: str | None = None,
) -> str:
    """One sentence telling the user what to do about an error of this class.

    ``proxy`` (password masked) is the proxy a failed request went through; the network hint names it.
    """
    action = f"action {action_id!r}" if action_id else "the action"
    if error_class == "validation":
        return (
            f"change the inputs so they match the input contract of {action} "
            "(client.get_schema(action_id) shows it)."
        )
    if error_class == "bad_request":
        return (
            f"the platform refused the request for {action}; check the inputs against its contract "
            "and run client.test(action_id, inputs) to see which step fails."
        )
    if error_class == "remote_endpoint" and status_code == 404:
        return (
            f"the service that {action} calls answered 404 Not Found: the address it was sent to does not "
            "exist there. Check the request URL template and the ids in the inputs; run "
            "client.test(action_id, inputs) to see the URL it rendered."
        )
    if error_class == "remote_endpoint" and status_code in (401, 403):
        return (
            f"the service that {action} calls refused the integration's credentials ({status_code}): check "
            "the credentials of the action's integration (Admin > Integrations)."
        )
    if error_class == "remote_endpoint":
        return (
            f"the service that {action} calls failed or sent something unexpected; run "
            "client.test(action_id, inputs) to see the failing step, and check the remote service."
        )
    if error_class == "auth":
        return (
            "the access token was rejected: the token or the credentials are wrong or revoked. Check "
            "GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET and that the region (GENESYS_REGION) is the org's region."
        )
    if error_class == "permission":
        permission = PERMISSION_EXECUTE if operation in _EXECUTE_OPERATIONS else PERMISSION_VIEW
        return (
            f"give the OAuth client a role with the permission {permission} "
            "(Admin > Roles/Permissions), then get a new token."
        )
    if error_class == "not_found":
        if action_id:
            return (
                f"no action with id {action_id!r} in this org: check the id (client.list_actions() "
                "lists them) and that the region is the org's region."
            )
        return "the resource does not exist in this org: check the id and the region."
    if error_class == "rate_limited":
        if retry_after_s is not None:
            return f"wait {retry_after_s:g} s (Retry-After) before sending again, and lower the request rate."
        return "wait before sending again and lower the request rate (300 requests/min per token)."
    if error_class == "server":
        if status_code in (502, 503, 504):
            return "a temporary platform failure: retry after a short backoff."
        return (
            "the platform failed; retry only if the action is idempotent (a retry may run it twice), "
            "and quote the correlation id to Genesys support if it persists."
        )
    if error_class == "timeout":
        current = f" (it was {timeout_ms} ms)" if timeout_ms is not None else ""
        return (
            f"no answer within timeout_ms{current}: raise timeout_ms (max 60000) or the action's "
            "config.timeoutSeconds; the action may still have run."
        )
    if error_class == "network" and proxy:
        return (
            f"the request went through the proxy {proxy}: check that it is running and reachable and "
            "that it accepts these credentials (set by GENESYS_PROXY, Settings(proxy=...), HTTPS_PROXY, "
            "HTTP_PROXY or ALL_PROXY), or list the API host in NO_PROXY to go direct."
        )
    if error_class == "network":
        return "check the network path to the API host (proxy, DNS, firewall) and the region or base URL."
    if error_class == "contract":
        return (
            f"the response of {action} does not match its success schema: fix the action's "
            "successTemplate/translationMap or its output contract."
        )
    raise ValueError(f"Unknown error class {error_class!r}; expected one of: {', '.join(ERROR_CLASSES)}")


def format_error_message(
    error_class: str,
    message: str | None,
    *,
    status_code: int | None = None,
    action_id: str | None = None,
    correlation_id: str | None = None,
    retry_after_s: float | None = None,
    operation: str = "execute",
    timeout_ms: int | None = None,
    proxy: str | None = None,
) -> str:
    """Compose the exception text: what happened, where, and the fix."""
    head = f"{operation} {action_id}" if action_id else operation
    status = f"HTTP {status_code} " if status_code is not None else ""
    parts = [f"{head} failed: {status}{error_class}"]
    if message:
        parts[0] += f": {message}"
    if correlation_id:
        parts.append(f"Correlation id {correlation_id}")
    hint = fix_hint(
        error_class,
        action_id=action_id,
        retry_after_s=retry_after_s,
        operation=operation,
        timeout_ms=timeout_ms,
        status_code=status_code,
        proxy=proxy,
    )
    parts.append(f"Fix: {hint}")
    return ". ".join(part.rstrip(".") for part in parts[:-1]) + ". " + parts[-1]

