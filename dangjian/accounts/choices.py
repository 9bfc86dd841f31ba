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
    LOCKOUT = "lockout"
    LOGIN_REFUSED = "login_refused"
    LOGOUT = "logout"
    PASSWORD_CHANGE = "password_change"
    OTP_ENROL = "otp_enrol"
    OTP_VERIFIED = "otp_verified"
    OTP_FAILED = "otp_failed"
    RECOVERY_CODES = "recovery_codes"
    SIGN_IN_RESET = "sign_in_reset"
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
        LOCKOUT: "登录锁定",
        LOGIN_REFUSED: "锁定期间拒绝登录",
        LOGOUT: "退出登录",
        PASSWORD_CHANGE: "修改密码",
        OTP_ENROL: "绑定动态口令",
        OTP_VERIFIED: "二次验证通过",
        OTP_FAILED: "二次验证失败",
        RECOVERY_CODES: "生成恢复码",
        SIGN_IN_RESET: "重置登录凭据",
        DELETE: "删除",
        EVALUATE: "计算评价结果",
        ROTATE_KEY: "更换个人信息密钥",
        PURGE_AUDIT: "清理过期审计日志",
        BACKUP: "备份数据库",
        RESTORE: "恢复数据库",
    }


# What the audit log records changes of (`audit.Change.object_type`), grouped as the audit
# page's 对象 filter offers them. Every type any service records is listed here
# (accounts/tests/test_audited_objects.py reads the services' calls to check it).
AUDITED_OBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("组织与党员", ("组织", "组织类别", "党员", "导入", "导出", "个人信息密钥")),
    ("组织生活台账", ("组织生活", "党费", "附件", "台账关账")),
    ("达标", ("达标规则", "达标豁免", "达标评价")),
    (
        "考核",
        (
            "考核方案",
            "考核方案权重",
            "考核项目",
            "考核评分",
            "单位自查",
            "满意度评分",
            "考核得分",
            "考核规则",
            "考核评价",
        ),
    ),
    ("群众评议", ("评议对象", "群众诉求")),
    ("软弱涣散整顿", ("整顿台账", "整顿问题", "整顿包联领导", "整顿进展")),
    ("通报", ("通报",)),
    ("系统", ("用户", "审计日志", "数据库")),
)
AUDITED_OBJECT_TYPES = frozenset(t for _group, types in AUDITED_OBJECTS for t in types)
