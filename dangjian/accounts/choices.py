"""Names of audited actions and their Chinese labels."""


class Action:
    """Names of audited actions, shown in Chinese on the audit page."""

    CREATE = "create"
    UPDATE = "update"
    MOVE = "move"
    DISSOLVE = "dissolve"
    TRANSFER = "transfer"
    IMPORT = "import"
    EXPORT = "export"
    READ_PII = "read_pii"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    DELETE = "delete"
    EVALUATE = "evaluate"
    ROTATE_KEY = "rotate_pii_key"
    PURGE_AUDIT = "purge_audit"
    BACKUP = "backup"
    RESTORE = "restore"

    LABELS = {
        CREATE: "新增",
        UPDATE: "修改",
        MOVE: "调整隶属关系",
        DISSOLVE: "撤销",
        TRANSFER: "组织关系转接",
        IMPORT: "导入",
        EXPORT: "导出",
        READ_PII: "查看完整个人信息",
        LOGIN: "登录",
        LOGIN_FAILED: "登录失败",
        DELETE: "删除",
        EVALUATE: "达标评价",
        ROTATE_KEY: "更换个人信息密钥",
        PURGE_AUDIT: "清理过期审计日志",
        BACKUP: "备份数据库",
        RESTORE: "恢复数据库",
    }
