"""The words of learner sign-in through a provider (``/auth/oidc/...``): ``key -> {"zh", "en"}``,
merged into :data:`service.web.messages.MESSAGES`."""

from __future__ import annotations

OIDC_MESSAGES: dict[str, dict[str, str]] = {
    "oidc.link.title": {"zh": "确认您的学员身份", "en": "Confirm who you are"},
    "oidc.link.intro": {
        "zh": "这是您第一次通过{provider}登录。请填写您的身份证号码和姓名，"
        "我们核对学员档案后，会把{provider}账号与您的学习记录关联起来。以后登录无需再填写。",
        "en": "This is your first sign-in through {provider}. Enter your ID card number and your "
        "name: once they match a learner record, your {provider} account is linked to your "
        "training records, and you will not be asked again.",
    },
    "oidc.link.account": {
        "zh": "要关联的{provider}账号：{account}。如果这不是您的账号，请不要继续。",
        "en": "The {provider} account to link: {account}. If this is not your account, stop here.",
    },
    "oidc.link.id_number": {"zh": "身份证号码", "en": "ID card number"},
    "oidc.link.id_hint": {
        "zh": "18 位，最后一位可能是 X。",
        "en": "18 characters; the last one may be X.",
    },
    "oidc.link.name": {"zh": "姓名", "en": "Name"},
    "oidc.link.name_hint": {
        "zh": "与身份证上的姓名一致。",
        "en": "As written on the ID card.",
    },
    "oidc.link.submit": {"zh": "确认并登录", "en": "Confirm and sign in"},
    "oidc.link.refused": {
        "zh": "身份证号码和姓名与学员档案不符，请检查后重试。"
        "如果您还没有学员档案，请先向培训机构登记。",
        "en": "The ID card number and name do not match a learner record. Check them and try "
        "again. If you have no learner record yet, ask your training provider to register you.",
    },
    "oidc.link.privacy": {
        "zh": "身份证号码只用于核对，不会显示在页面上，也不会发送给{provider}。",
        "en": "The number is used only for this check; it is not shown on any page or sent to "
        "{provider}.",
    },
    "oidc.done.title": {"zh": "已登录", "en": "Signed in"},
    "oidc.done.as": {"zh": "已登录学员：{masked}", "en": "Signed in as learner {masked}"},
    "oidc.done.via": {"zh": "通过{provider}登录", "en": "Through {provider}"},
    "oidc.done.continue": {"zh": "继续", "en": "Continue"},
    "oidc.done.saving": {
        "zh": "正在保存登录状态……",
        "en": "Keeping you signed in…",
    },
    "oidc.done.saved": {
        "zh": "本窗口已保持登录；关闭窗口即退出。",
        "en": "You stay signed in in this window; closing it signs you out.",
    },
    "oidc.done.noscript": {
        "zh": "请启用 JavaScript 以保持登录状态。",
        "en": "Enable JavaScript to stay signed in.",
    },
    "oidc.again": {"zh": "重新登录", "en": "Sign in again"},
    "oidc.error.title": {"zh": "无法登录", "en": "Sign-in did not work"},
    "oidc.error.state": {
        "zh": "这个登录链接已失效（已使用、已过期，或来自另一个浏览器）。请重新登录。",
        "en": "This sign-in link is no longer valid (already used, expired, or from another "
        "browser). Please sign in again.",
    },
    "oidc.error.denied": {
        "zh": "登录已取消，或{provider}未允许登录。",
        "en": "The sign-in was cancelled, or {provider} did not allow it.",
    },
    "oidc.error.provider": {
        "zh": "{provider}未能完成登录，请稍后重试。",
        "en": "{provider} could not complete the sign-in. Please try again later.",
    },
    "oidc.error.token": {
        "zh": "{provider}返回的登录凭据未通过校验，未予登录。请重新登录。",
        "en": "The sign-in answer from {provider} did not pass our checks, so you were not "
        "signed in. Please sign in again.",
    },
    "oidc.error.unavailable": {
        "zh": "暂时无法连接{provider}，请稍后重试。",
        "en": "{provider} cannot be reached right now. Please try again later.",
    },
    "oidc.error.link_expired": {
        "zh": "这一步已失效（已使用、已过期或尝试次数过多）。请重新登录。",
        "en": "This step is no longer valid (used, expired, or too many tries). Please sign in "
        "again.",
    },
    "oidc.error.already_linked": {
        "zh": "这份学员档案已关联了{provider}的另一个账号，不能再关联此账号。"
        "如有疑问，请联系培训机构。",
        "en": "This learner record is already linked to another {provider} account, so this "
        "one cannot be linked. Ask your training provider if this is unexpected.",
    },
    "oidc.error.disabled": {
        "zh": "此学员账号已停用，请联系培训机构。",
        "en": "This learner account is disabled. Please contact your training provider.",
    },
    "oidc.error.unknown_provider": {
        "zh": "没有这个登录方式。",
        "en": "There is no such way to sign in.",
    },
}
