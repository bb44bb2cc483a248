"""The words of the employer's credential check page (``/employer/checks``):
``key -> {"zh": ..., "en": ...}``, merged into :data:`service.web.messages.MESSAGES`."""

from __future__ import annotations

EMPLOYER_MESSAGES: dict[str, dict[str, str]] = {
    "employer.title": {"zh": "批量核验证书", "en": "Check credentials in bulk"},
    "employer.intro": {
        "zh": "用人单位可以在这里一次核验多份技能微证书：粘贴证书、证书编号或分享链接，"
        "或上传 Excel/CSV 名单或证书图片，逐份查看核验结果并下载报告。",
        "en": "Employers check many skill micro-credentials at once here: paste credentials, "
        "credential ids or share links, or upload an Excel/CSV list or badge images, see the "
        "result for each one and download the report.",
    },
    "employer.noscript": {"zh": "此页面需要启用 JavaScript。", "en": "This page needs JavaScript."},
    "employer.signin.heading": {"zh": "用人单位登录", "en": "Employer sign-in"},
    "employer.signin.email": {"zh": "电子邮箱", "en": "Email"},
    "employer.signin.password": {"zh": "密码", "en": "Password"},
    "employer.signin.submit": {"zh": "登录", "en": "Sign in"},
    "employer.signout": {"zh": "退出登录", "en": "Sign out"},
    "employer.signed_in_as": {"zh": "已登录：{email}", "en": "Signed in: {email}"},
    "employer.form.heading": {"zh": "要核验的证书", "en": "Credentials to check"},
    "employer.paste.label": {
        "zh": "粘贴证书（每行一份）",
        "en": "Paste credentials (one per line)",
    },
    "employer.paste.hint": {
        "zh": "每行可以是证书令牌（JWT）、证书编号（urn:uuid:…）或分享链接。",
        "en": "Each line may be a credential token (JWT), a credential id (urn:uuid:…) or a "
        "share link.",
    },
    "employer.file.label": {"zh": "或选择文件", "en": "Or choose files"},
    "employer.file.hint": {
        "zh": "一个 Excel/CSV 名单（“证书”列或第一列为证书，“候选人”列为参考号，其他列原样"
        "写入报告），或一张或多张证书图片（PNG/SVG）。",
        "en": "One Excel/CSV list (the column headed credential, or the first column, holds the "
        "credentials; a column headed reference is the candidate reference; other columns go "
        "into the report as they are), or one or more badge images (PNG/SVG).",
    },
    "employer.submit": {"zh": "开始核验", "en": "Check"},
    "employer.results.heading": {"zh": "核验结果", "en": "Results"},
    "employer.summary": {
        "zh": "共 {total} 份：有效 {valid} 份，其他 {other} 份。",
        "en": "{total} checked: {valid} valid, {other} not valid or not confirmed.",
    },
    "employer.col.index": {"zh": "序号", "en": "No."},
    "employer.col.reference": {"zh": "参考号", "en": "Reference"},
    "employer.col.kind": {"zh": "输入类型", "en": "Input"},
    "employer.col.result": {"zh": "结果", "en": "Result"},
    "employer.col.achievement": {"zh": "证书", "en": "Credential"},
    "employer.col.issuer": {"zh": "颁发机构", "en": "Issuer"},
    "employer.col.issued": {"zh": "颁发日期", "en": "Issued"},
    "employer.col.checks": {"zh": "各项检查", "en": "Checks"},
    "employer.reports.heading": {"zh": "下载报告", "en": "Download the report"},
    "employer.reports.xlsx": {"zh": "下载 Excel 报告", "en": "Download the Excel report"},
    "employer.reports.csv": {"zh": "下载 CSV 报告", "en": "Download the CSV report"},
    "employer.result.valid": {"zh": "有效", "en": "Valid"},
    "employer.result.revoked": {"zh": "已撤销", "en": "Revoked"},
    "employer.result.suspended": {"zh": "已暂停", "en": "Suspended"},
    "employer.result.expired": {"zh": "已过期", "en": "Expired"},
    "employer.result.invalid": {"zh": "无效", "en": "Not valid"},
    "employer.result.inconclusive": {"zh": "无法确认", "en": "Cannot be confirmed"},
    "employer.result.unreadable": {"zh": "无法读取", "en": "Unreadable"},
    "employer.result.not_found": {"zh": "未找到", "en": "Not found"},
    "employer.kind.token": {"zh": "令牌", "en": "Token"},
    "employer.kind.credential_id": {"zh": "证书编号", "en": "Credential id"},
    "employer.kind.share_link": {"zh": "分享链接", "en": "Share link"},
    "employer.kind.image": {"zh": "图片", "en": "Image"},
    "employer.outcome.passed": {"zh": "通过", "en": "passed"},
    "employer.outcome.failed": {"zh": "未通过", "en": "failed"},
    "employer.outcome.inconclusive": {"zh": "无法确认", "en": "not confirmed"},
    "employer.outcome.skipped": {"zh": "未检查", "en": "not checked"},
    "employer.error.signin": {
        "zh": "邮箱或密码不正确，或账号已被锁定。",
        "en": "The email or password is wrong, or the account is locked.",
    },
    "employer.error.not_employer": {
        "zh": "此页面仅供用人单位账号使用。",
        "en": "This page is for employer accounts only.",
    },
    "employer.error.expired": {
        "zh": "登录已过期，请重新登录。",
        "en": "Your sign-in has expired; please sign in again.",
    },
    "employer.error.forbidden": {
        "zh": "您的账号无权进行此操作。",
        "en": "Your account may not do this.",
    },
    "employer.error.too_large": {
        "zh": "文件太大，请拆分后再上传。",
        "en": "The upload is too large; split it and try again.",
    },
    "employer.error.too_many": {
        "zh": "一次核验的证书太多，请拆分后再试。",
        "en": "Too many credentials for one check; split the list and try again.",
    },
    "employer.error.network": {
        "zh": "无法连接服务器，请稍后重试。",
        "en": "The server cannot be reached; try again shortly.",
    },
    "employer.error.nothing": {
        "zh": "请粘贴至少一份证书，或选择文件。",
        "en": "Paste at least one credential, or choose a file.",
    },
    "employer.error.check": {"zh": "无法完成核验。", "en": "The check could not be done."},
    "employer.error.download": {
        "zh": "报告下载失败，请重试。",
        "en": "The report could not be downloaded; try again.",
    },
}
