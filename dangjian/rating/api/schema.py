"""The public endpoints of SPEC §5b in the OpenAPI schema. They are plain Django views (the
rating endpoint is kept lean), so drf-spectacular cannot see them; this post-processing hook
describes them, which also puts them under the API fuzz test."""

from __future__ import annotations

from dangjian.rating.choices import COMMENT_MAX, DEVICE_MAX, FEEDBACK_MAX

_REFUSAL = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "中文说明"},
        "field": {"type": "string"},
    },
    "required": ["detail"],
}


def _refused(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _REFUSAL}}}


_CASE = {
    "type": "object",
    "properties": {
        "tracking_code": {"type": "string"},
        "target": {"type": "string", "description": "评议对象名称"},
        "state": {"type": "string", "enum": ["pending", "handling", "replied", "closed"]},
        "state_label": {"type": "string"},
        "opened_on": {"type": "string", "format": "date"},
        "deadline": {"type": "string", "format": "date"},
        "department": {"type": "string", "description": "承办单位"},
        "reply": {"type": "string", "nullable": True},
        "replied_at": {"type": "string", "format": "date-time", "nullable": True},
        "resolved": {"type": "boolean", "nullable": True},
        "closed_at": {"type": "string", "format": "date-time", "nullable": True},
        "can_feedback": {"type": "boolean"},
        "steps": {"type": "array", "items": {"type": "object"}},
    },
}
_TRACKING = {
    "name": "tracking_code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "诉求查询码",
}


def public_paths() -> dict:
    """The paths of the public endpoints (no sign-in: `security: []`)."""
    return {
        "/api/public/ratings": {
            "post": {
                "operationId": "public_ratings_create",
                "summary": "扫码评价（群众，无需登录）",
                "description": (
                    "五级评价：5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意。"
                    "评价为不满意及以下或留言时受理为诉求并返回查询码。只在评价已持久保存后"
                    "返回 201；同一设备、同一网络地址的提交有频次限制（429）。"
                ),
                "tags": ["public"],
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "target": {"type": "string", "description": "评议码"},
                                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                    "comment": {"type": "string", "maxLength": COMMENT_MAX},
                                    "phone": {"type": "string", "description": "大陆手机号"},
                                    "device": {"type": "string", "maxLength": DEVICE_MAX},
                                },
                                "required": ["target", "score"],
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "已保存",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "tracking_code": {"type": "string", "nullable": True},
                                    },
                                    "required": ["id", "tracking_code"],
                                }
                            }
                        },
                    },
                    "400": _refused("输入有误"),
                    "404": _refused("评议对象不存在"),
                    "429": _refused("提交过于频繁"),
                },
            }
        },
        "/api/public/cases/{tracking_code}": {
            "get": {
                "operationId": "public_cases_retrieve",
                "summary": "凭查询码查看诉求办理情况（不含个人信息）",
                "tags": ["public"],
                "security": [],
                "parameters": [_TRACKING],
                "responses": {
                    "200": {
                        "description": "办理情况",
                        "content": {"application/json": {"schema": _CASE}},
                    },
                    "404": _refused("查询码不存在"),
                },
            }
        },
        "/api/public/cases/{tracking_code}/feedback": {
            "post": {
                "operationId": "public_cases_feedback",
                "summary": "回访：群众评价答复是否解决了问题",
                "tags": ["public"],
                "security": [],
                "parameters": [_TRACKING],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "resolved": {"type": "boolean"},
                                    "comment": {"type": "string", "maxLength": FEEDBACK_MAX},
                                },
                                "required": ["resolved"],
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "已记录",
                        "content": {"application/json": {"schema": _CASE}},
                    },
                    "400": _refused("输入有误或当前状态不能回访"),
                    "404": _refused("查询码不存在"),
                },
            }
        },
    }


def add_public_paths(result, generator, request, public):
    """drf-spectacular post-processing hook: add the public paths to the schema."""
    result.setdefault("paths", {}).update(public_paths())
    return result
