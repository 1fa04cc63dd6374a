"""The contract checker itself: it passes exchanges that follow the vendors' descriptions and fails
those that don't (per vendor: request bodies, responses, parameters, unknown operations), and the
deviations file allows exactly what it lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.calls import Exchange
from sandbox.contract import ContractChecker, DeviationError, load_deviations
from sandbox.contract.deviations import Deviation


@pytest.fixture(scope="module")
def checker() -> ContractChecker:
    return ContractChecker()


def exchange(
    service: str,
    method: str,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    status: int = 200,
    response: Any = None,
    content_type: str = "application/json",
    response_type: str = "application/json",
) -> tuple[dict[str, Any], Exchange]:
    call = {"service": service, "method": method, "path": path, "query": query or {}, "body": body, "status": status}
    return call, Exchange(content_type if body is not None else "", response, response_type)


def problems(checker: ContractChecker, *exchanges: tuple[dict[str, Any], Exchange]) -> list[str]:
    return [str(p) for p in checker.check(list(exchanges))]


# --- Okta (OpenAPI 3.0) ----------------------------------------------------------------------
OKTA_USER = {
    "id": "00u1abcdEFGH",
    "status": "ACTIVE",
    "created": "2026-01-05T09:00:00.000Z",
    "activated": "2026-01-05T09:00:00.000Z",
    "statusChanged": None,
    "lastLogin": None,
    "lastUpdated": "2026-01-05T09:00:00.000Z",
    "passwordChanged": None,
    "type": {"id": "oty1"},
    "profile": {"login": "maria.lopez@example.com", "email": "maria.lopez@example.com", "firstName": "Maria"},
    "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
    "_links": {"self": {"href": "https://example.okta.com/api/v1/users/00u1abcdEFGH"}},
}
OKTA_ERROR = {
    "errorCode": "E0000007",
    "errorSummary": "Not found: Resource not found: nobody (User)",
    "errorLink": "E0000007",
    "errorId": "oae1",
    "errorCauses": [],
}


def test_okta_valid_exchanges_pass(checker):
    assert problems(checker, exchange("okta", "GET", "/api/v1/users/00u1abcdEFGH", response=OKTA_USER)) == []
    assert problems(checker, exchange("okta", "GET", "/api/v1/users", query={"limit": "2"}, response=[OKTA_USER])) == []
    created = exchange(
        "okta",
        "POST",
        "/api/v1/users",
        query={"activate": "false"},
        body={"profile": {"login": "maria.lopez@example.com", "email": "maria.lopez@example.com"}},
        response=OKTA_USER,
    )
    assert problems(checker, created) == []


def test_okta_response_with_a_wrong_type_fails(checker):
    bad = {**OKTA_USER, "profile": {**OKTA_USER["profile"], "email": 3}}
    assert problems(checker, exchange("okta", "GET", "/api/v1/users/00u1", response=bad)) == [
        "okta GET /api/v1/users/{id}: response 200: .profile.email: expected string, got integer 3"
    ]


def test_okta_response_with_a_bad_date_or_enum_fails(checker):
    bad = {**OKTA_USER, "created": "2026-01-05 09:00", "status": "HAPPY"}
    found = problems(checker, exchange("okta", "GET", "/api/v1/users/00u1", response=bad))
    assert any(".created: " in p and "not a valid date-time" in p for p in found), found
    assert any(".status: " in p for p in found), found


def test_okta_list_must_be_an_array(checker):
    found = problems(checker, exchange("okta", "GET", "/api/v1/users", response={"users": []}))
    assert found == ["okta GET /api/v1/users: response 200: expected array, got object"]


def test_okta_request_body_missing_a_required_property_fails(checker):
    bad = exchange("okta", "POST", "/api/v1/users", body={"credentials": {}}, response=OKTA_USER)
    assert problems(checker, bad) == ["okta POST /api/v1/users: request body: .profile: required property missing"]


def test_okta_required_body_absent_fails(checker):
    bad = exchange("okta", "POST", "/api/v1/users", response=OKTA_USER)
    assert problems(checker, bad) == ["okta POST /api/v1/users: request body: required but absent"]


def test_okta_query_parameter_of_the_wrong_type_fails(checker):
    bad = exchange("okta", "GET", "/api/v1/users", query={"limit": "lots"}, response=[])
    assert problems(checker, bad) == ['okta GET /api/v1/users: query limit: expected integer, got string "lots"']


def test_okta_unknown_operation_fails(checker):
    found = problems(checker, exchange("okta", "GET", "/api/v1/no-such-thing", status=404, response=OKTA_ERROR))
    assert len(found) == 1
    assert found[0].startswith("okta GET /api/v1/no-such-thing: operation: not among the vendored operations")


def test_okta_undocumented_method_fails(checker):
    found = problems(checker, exchange("okta", "PATCH", "/api/v1/users/00u1", body={}, response=OKTA_USER))
    assert found == [
        "okta PATCH /api/v1/users/00u1: operation: PATCH is not documented for /api/v1/users/{id} "
        "(documented: DELETE, GET, POST, PUT)"
    ]


def test_okta_undocumented_success_status_fails(checker):
    found = problems(checker, exchange("okta", "GET", "/api/v1/users/00u1", status=201, response=OKTA_USER))
    assert found == [
        "okta GET /api/v1/users/{id}: response 201: status not documented (documented: 200, 403, 404, 429)"
    ]


def test_okta_errors_are_checked_against_the_error_schema(checker):
    assert problems(checker, exchange("okta", "GET", "/api/v1/users/x", status=404, response=OKTA_ERROR)) == []
    # 401 is not documented for the operation: the description's Error schema applies
    assert problems(checker, exchange("okta", "GET", "/api/v1/users/x", status=401, response=OKTA_ERROR)) == []
    found = problems(checker, exchange("okta", "GET", "/api/v1/users/x", status=401, response={"errorCauses": "x"}))
    assert found == [
        "okta GET /api/v1/users/{id}: response 401 (undocumented error status): .errorCauses: expected array, "
        'got string "x"'
    ]


def test_okta_token_endpoint_is_an_allowed_undocumented_operation(checker):
    token = exchange("okta", "POST", "/oauth2/v1/token", body={"grant_type": "client_credentials"}, response={})
    assert problems(checker, token) == []


# --- GitHub (OpenAPI 3.0, 13 MB in full) ------------------------------------------------------
LABEL = {
    "id": 208045946,
    "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
    "url": "https://api.github.com/repos/acme/gitops/labels/approved",
    "name": "approved",
    "description": None,
    "color": "0e8a16",
    "default": False,
}
CONTENT_FILE = {
    "type": "file",
    "encoding": "base64",
    "size": 5,
    "name": "values.yaml",
    "path": "deploy/web/values.yaml",
    "content": "aW1hZ2U=",
    "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
    "url": "https://api.github.com/repos/acme/gitops/contents/deploy/web/values.yaml",
    "git_url": "https://api.github.com/repos/acme/gitops/git/blobs/3d21ec53",
    "html_url": "https://github.com/acme/gitops/blob/main/deploy/web/values.yaml",
    "download_url": "https://raw.githubusercontent.com/acme/gitops/main/deploy/web/values.yaml",
    "_links": {"git": None, "html": None, "self": "https://api.github.com/repos/acme/gitops/contents/deploy"},
}


def test_github_valid_label_creation_passes(checker):
    create = exchange(
        "github",
        "POST",
        "/repos/acme/gitops/labels",
        body={"name": "approved", "color": "0e8a16"},
        status=201,
        response=LABEL,
    )
    assert problems(checker, create) == []


def test_github_response_missing_a_required_property_fails(checker):
    bad = {k: v for k, v in LABEL.items() if k != "default"}
    create = exchange("github", "POST", "/repos/acme/gitops/labels", body={"name": "x"}, status=201, response=bad)
    assert problems(checker, create) == [
        "github POST /repos/{owner}/{repo}/labels: response 201: .default: required property missing"
    ]


def test_github_invalid_request_body_fails(checker):
    create = exchange("github", "POST", "/repos/acme/gitops/labels", body={"color": 5}, status=201, response=LABEL)
    assert problems(checker, create) == [
        "github POST /repos/{owner}/{repo}/labels: request body: .color: expected string, got integer 5",
        "github POST /repos/{owner}/{repo}/labels: request body: .name: required property missing",
    ]


def test_github_contents_path_spans_segments_by_an_allowed_deviation(checker):
    read = exchange("github", "GET", "/repos/acme/gitops/contents/deploy/web/values.yaml", response=CONTENT_FILE)
    assert problems(checker, read) == []
    (problem,) = problems(ContractChecker(deviations=[]), read)
    assert problem.startswith(
        "github GET /repos/acme/gitops/contents/deploy/web/values.yaml: operation: not among the vendored operations"
    )


def test_github_integer_path_parameter_is_checked(checker):
    not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com"}
    found = problems(
        checker, exchange("github", "GET", "/repos/acme/web/deployments/latest", status=404, response=not_found)
    )
    assert found == [
        "github GET /repos/{owner}/{repo}/deployments/{deployment_id}: path deployment_id: "
        'expected integer, got string "latest"'
    ]


def test_github_documented_error_passes_and_a_wrong_one_fails(checker):
    not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
    assert (
        problems(checker, exchange("github", "GET", "/orgs/acme/memberships/ghost", status=404, response=not_found))
        == []
    )
    found = problems(checker, exchange("github", "GET", "/orgs/acme/memberships/ghost", status=404, response=["x"]))
    assert found == ["github GET /orgs/{org}/memberships/{username}: response 404: expected object, got array"]


# --- Slack (Swagger 2.0, basePath /api) -------------------------------------------------------
POSTED = {
    "ok": True,
    "channel": "C0123456789",
    "ts": "1767600000.000100",
    "message": {"type": "message", "text": "Deploying web", "ts": "1767600000.000100"},
}


def test_slack_json_post_with_blocks_passes_by_an_allowed_deviation(checker):
    body = {"channel": "C0123456789", "text": "Deploying web", "blocks": [{"type": "section"}]}
    post = exchange("slack", "POST", "/api/chat.postMessage", body=body, response=POSTED)
    assert problems(checker, post) == []
    assert problems(ContractChecker(deviations=[]), post) == [
        "slack POST /api/chat.postMessage: argument blocks: expected string, got array"
    ]


def test_slack_missing_argument_and_bad_answer_fail(checker):
    post = exchange("slack", "POST", "/api/chat.postMessage", body={"text": "hi"}, response={**POSTED, "ts": 17})
    assert problems(checker, post) == [
        "slack POST /api/chat.postMessage: argument channel: required parameter missing",
        "slack POST /api/chat.postMessage: response 200: .ts: expected string, got integer 17",
    ]


def test_slack_ok_false_is_checked_as_the_error_response(checker):
    error = exchange(
        "slack",
        "POST",
        "/api/chat.postMessage",
        body={"channel": "C0123456789", "text": "x"},
        response={"ok": False, "error": "channel_not_found"},
    )
    assert problems(checker, error) == []
    made_up = exchange(
        "slack",
        "POST",
        "/api/chat.postMessage",
        body={"channel": "C0123456789", "text": "x"},
        response={"ok": False, "error": "no_such_error_code"},
    )
    (problem,) = problems(checker, made_up)
    assert problem.startswith(
        'slack POST /api/chat.postMessage: response 200: .error: "no_such_error_code" is not one of'
    )


SLACK_USER = {
    "id": "U0123ABCD",
    "name": "maria.lopez",
    "is_bot": False,
    "is_app_user": False,
    "updated": 1767600000,
    "profile": {
        "real_name": "Maria Lopez",
        "display_name": "maria",
        "avatar_hash": "g123",
        "real_name_normalized": "Maria Lopez",
        "display_name_normalized": "maria",
        "title": "",
        "phone": "",
        "skype": "",
        "status_text": "",
        "status_emoji": "",
        "fields": None,
        "email": "maria.lopez@example.com",
        "first_name": None,
    },
}


def test_slack_user_objects_are_checked(checker):
    """The description writes a user as `items: [regular, enterprise]` (read: one of them) and uses
    JSON Schema's `type: [null, string]`; both are understood, not skipped."""
    found = exchange(
        "slack",
        "GET",
        "/api/users.lookupByEmail",
        query={"email": "maria.lopez@example.com"},
        response={"ok": True, "user": SLACK_USER},
    )
    assert problems(checker, found) == []
    bad = {**SLACK_USER, "profile": {**SLACK_USER["profile"], "email": 5}}
    found = exchange(
        "slack",
        "GET",
        "/api/users.lookupByEmail",
        query={"email": "maria.lopez@example.com"},
        response={"ok": True, "user": bad},
    )
    assert problems(checker, found) == [
        "slack GET /api/users.lookupByEmail: response 200: .user: matches no anyOf variant; "
        "closest: .user.profile.email: expected string or null, got integer 5"
    ]
    missing = exchange("slack", "GET", "/api/users.lookupByEmail", response={"ok": True, "user": SLACK_USER})
    assert problems(checker, missing) == [
        "slack GET /api/users.lookupByEmail: argument email: required parameter missing"
    ]


def test_slack_query_and_form_arguments_are_coerced_and_checked(checker):
    listed = {"ok": True, "members": [SLACK_USER], "cache_ts": 1, "response_metadata": {"next_cursor": ""}}
    assert problems(checker, exchange("slack", "GET", "/api/users.list", query={"limit": "200"}, response=listed)) == []
    found = problems(checker, exchange("slack", "GET", "/api/users.list", query={"limit": "many"}, response=listed))
    assert found == ['slack GET /api/users.list: argument limit: expected integer, got string "many"']
    form = exchange(
        "slack",
        "POST",
        "/api/users.list",
        body={"limit": "200"},
        response=listed,
        content_type="application/x-www-form-urlencoded",
    )
    assert problems(checker, form) == []  # POST of a GET-only method: an allowed deviation


def test_slack_response_url_is_an_allowed_undocumented_operation(checker):
    reply = exchange("slack", "POST", "/commands/T0001/1234/abcdef", body={"text": "done"}, response={"ok": True})
    assert problems(checker, reply) == []
    assert problems(ContractChecker(deviations=[]), reply)[0].startswith(
        "slack POST /commands/T0001/1234/abcdef: operation:"
    )


# --- SendGrid (OpenAPI 3.1) ---------------------------------------------------------------------
MAIL = {
    "personalizations": [{"to": [{"email": "maria.lopez@example.com"}]}],
    "from": {"email": "platform@example.com", "name": "Platform"},
    "template_id": "d-0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d",
}


def test_sendgrid_valid_send_passes(checker):
    assert problems(checker, exchange("sendgrid", "POST", "/v3/mail/send", body=MAIL, status=202)) == []


def test_sendgrid_invalid_body_and_unexpected_answer_fail(checker):
    bad = {k: v for k, v in MAIL.items() if k != "from"}
    found = problems(checker, exchange("sendgrid", "POST", "/v3/mail/send", body=bad, status=202, response={"id": 1}))
    assert found == [
        "sendgrid POST /v3/mail/send: request body: .from: required property missing",
        'sendgrid POST /v3/mail/send: response 202: a body where the description documents none: {"id": 1}',
    ]


def test_sendgrid_null_error_fields_are_an_allowed_deviation(checker):
    answer = {"errors": [{"message": "internal error", "field": None, "help": None}]}
    send = exchange("sendgrid", "POST", "/v3/mail/send", body=MAIL, status=500, response=answer)
    assert problems(checker, send) == []
    assert problems(ContractChecker(deviations=[]), send) == [
        "sendgrid POST /v3/mail/send: response 500: .errors[0].field: expected string, got null "
        "(`nullable` is not an OpenAPI 3.1 keyword)",
        "sendgrid POST /v3/mail/send: response 500: .errors[0].help: expected object, got null",
    ]


# --- PagerDuty (REST and Events v2, one fake) ---------------------------------------------------
def test_pagerduty_events_are_checked_against_the_events_description(checker):
    event = {
        "routing_key": "R0UT1NG",
        "event_action": "trigger",
        "dedup_key": "cost/alarm",
        "payload": {"summary": "Spend", "source": "aws", "severity": "warning"},
    }
    accepted = {"status": "success", "message": "Event processed", "dedup_key": "cost/alarm"}
    assert (
        problems(checker, exchange("pagerduty", "POST", "/v2/enqueue", body=event, status=202, response=accepted)) == []
    )
    bad = {**event, "event_action": "explode", "payload": {"summary": "Spend"}}
    found = problems(checker, exchange("pagerduty", "POST", "/v2/enqueue", body=bad, status=202, response=accepted))
    assert found == [
        "pagerduty POST /v2/enqueue: request body: .event_action: "
        '"explode" is not one of "trigger", "acknowledge", "resolve"',
        "pagerduty POST /v2/enqueue: request body: .payload.severity: required property missing",
        "pagerduty POST /v2/enqueue: request body: .payload.source: required property missing",
    ]


def test_pagerduty_rest_response_must_hold_the_user(checker):
    found = problems(checker, exchange("pagerduty", "GET", "/users/PXPGF42", response={"users": []}))
    assert found == ["pagerduty GET /users/{id}: response 200: .user: required property missing"]
    assert problems(checker, exchange("pagerduty", "DELETE", "/users/PXPGF42", status=204)) == []


# --- Argo CD (Swagger 2.0, no basePath) -------------------------------------------------------
APP = {
    "metadata": {"name": "web", "namespace": "argocd"},
    "spec": {"project": "default", "destination": {"namespace": "web"}},
    "status": {"sync": {"status": "Synced", "revision": "abc"}, "health": {"status": "Healthy"}},
}


def test_argocd_valid_and_invalid(checker):
    assert problems(checker, exchange("argocd", "GET", "/api/v1/applications/web", response=APP)) == []
    sync = exchange("argocd", "POST", "/api/v1/applications/web/sync", body={"revision": 7}, response=APP)
    assert problems(checker, sync) == [
        "argocd POST /api/v1/applications/{name}/sync: request body: .revision: expected string, got integer 7"
    ]
    error = exchange(
        "argocd",
        "GET",
        "/api/v1/applications/nope",
        status=404,
        response={"error": "not found", "code": 5, "message": "not found"},
    )
    assert problems(checker, error) == []


def test_an_unknown_service_fails(checker):
    assert problems(checker, exchange("jira", "GET", "/rest/api/2/issue/1")) == [
        "jira GET /rest/api/2/issue/1: operation: no vendored API description for this service"
    ]


# --- path matching, dialects and deviations, on a small description ---------------------------
MINI = {
    "openapi": "3.0.3",
    "servers": [{"url": "https://mini.example.com/base"}],
    "paths": {
        "/items/{id}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}
                }
            }
        },
        "/items/special": {
            "get": {"responses": {"200": {"content": {"application/json": {"schema": {"type": "array"}}}}}}
        },
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "note"],
                "properties": {"id": {"type": "integer"}, "note": {"type": "string", "nullable": True}},
            }
        }
    },
}
SWAGGER = {
    "swagger": "2.0",
    "paths": {
        "/things/{name}": {
            "get": {"responses": {"200": {"schema": {"$ref": "#/definitions/Thing"}}}},
        }
    },
    "definitions": {"Thing": {"type": "object", "properties": {"when": {"type": "string", "x-nullable": True}}}},
}


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    (tmp_path / "mini.json").write_text(json.dumps(MINI))
    (tmp_path / "swag.json").write_text(json.dumps(SWAGGER))
    (tmp_path / "operations.yaml").write_text(
        "mini: {source: mini.json, service: mini, operations: ['GET /items/{id}', 'GET /items/special']}\n"
        "swag: {source: swag.json, service: swag, operations: ['GET /things/{name}']}\n"
    )
    return tmp_path


def test_a_literal_segment_wins_over_a_parameter_and_the_server_path_prefixes(mini):
    checker = ContractChecker(specs_dir=mini, deviations=[])
    assert problems(checker, exchange("mini", "GET", "/base/items/special", response=[])) == []
    assert problems(checker, exchange("mini", "GET", "/base/items/7", response={"id": 7, "note": None})) == []
    assert problems(checker, exchange("mini", "GET", "/base/items/7", response=[])) == [
        "mini GET /base/items/{id}: response 200: expected object, got array"
    ]
    assert problems(checker, exchange("mini", "GET", "/items/7", response={}))[0].startswith(
        "mini GET /items/7: operation:"
    )


def test_nullable_in_openapi_30_and_x_nullable_in_swagger(mini):
    checker = ContractChecker(specs_dir=mini, deviations=[])
    assert problems(checker, exchange("mini", "GET", "/base/items/7", response={"id": None, "note": None})) == [
        "mini GET /base/items/{id}: response 200: .id: expected integer, got null"
    ]
    assert problems(checker, exchange("swag", "GET", "/things/a", response={"when": None})) == []


def test_deviation_patterns(mini):
    deviation = Deviation(
        operation="mini GET /base/items/{id}",
        reason="the note may be a number",
        problems=[__import__("re").compile(r"\.note: ")],
    )
    checker = ContractChecker(specs_dir=mini, deviations=[deviation])
    assert problems(checker, exchange("mini", "GET", "/base/items/7", response={"id": 7, "note": 1})) == []
    assert deviation.used == 1
    assert problems(checker, exchange("mini", "GET", "/base/items/7", response={"id": "7", "note": 1})) == [
        'mini GET /base/items/{id}: response 200: .id: expected integer, got string "7"'
    ]
    assert Deviation(operation="slack * /api/**", reason="x" * 10).applies("slack", "PUT", "/api/a/b")
    assert not Deviation(operation="slack GET /api/*", reason="x" * 10).applies("slack", "GET", "/api/a/b")


def test_the_deviations_file_is_well_formed_and_every_entry_has_a_reason():
    deviations = load_deviations()
    assert deviations
    manifest_services = {entry["service"] for entry in ContractChecker().manifest.values()}
    for deviation in deviations:
        assert deviation.service in manifest_services, deviation.operation
        assert len(deviation.reason) > 20, deviation.operation


def test_an_undocumented_deviation_is_not_also_a_vendored_operation(checker):
    for deviation in load_deviations():
        if deviation.undocumented:
            for spec in checker.specs_for(deviation.service):
                clash = [op.name for op in spec.operations if deviation.applies(spec.service, op.method, op.path)]
                assert not clash, f"{deviation.operation} is documented after all: {clash}"


def test_a_deviation_without_a_reason_is_refused(tmp_path: Path):
    bad = tmp_path / "deviations.yaml"
    bad.write_text("deviations:\n  - operation: okta GET /x\n    allow: {undocumented: true}\n")
    with pytest.raises(DeviationError, match="needs operation, allow and reason"):
        load_deviations(bad)
    bad.write_text(
        "deviations:\n  - operation: okta GET /x\n    allow: {anything: true}\n    reason: because it is so\n"
    )
    with pytest.raises(DeviationError, match="allow takes"):
        load_deviations(bad)


def test_every_description_loads_with_the_deviations_applied():
    checker = ContractChecker()
    for service in {entry["service"] for entry in checker.manifest.values()}:
        assert all(spec.operations for spec in checker.specs_for(service)), service
