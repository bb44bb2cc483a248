"""The message catalog of the public pages: ``key -> {"zh": ..., "en": ...}``.

Plain words for people who are not developers: what the result means and what to do, never
codes. Check messages are looked up as ``check.<name>.<reason>``, then ``check.<name>.<outcome>``,
then ``check.<outcome>`` (see ``service.web.presenters``).
"""

from __future__ import annotations

from service.web.employer_messages import EMPLOYER_MESSAGES
from service.web.import_messages import IMPORT_MESSAGES
from service.web.oidc_messages import OIDC_MESSAGES

MESSAGES: dict[str, dict[str, str]] = {
    # ---- frame ----------------------------------------------------------------------------
    "site.name": {"zh": "宁波终身职业技能", "en": "Ningbo Lifelong Skills"},
    "site.tagline": {"zh": "技能微证书核验", "en": "Skill micro-credential verification"},
    "nav.label": {"zh": "主导航", "en": "Main navigation"},
    "nav.verify": {"zh": "核验证书", "en": "Verify a credential"},
    "nav.dashboard": {"zh": "目标进度", "en": "Target progress"},
    "lang.switch": {"zh": "English", "en": "中文"},
    "lang.switch.label": {"zh": "Switch to English", "en": "切换到中文"},
    "skip": {"zh": "跳到正文", "en": "Skip to content"},
    "footer": {
        "zh": "本服务由宁波市教育局提供。证书符合开放徽章 3.0（Open Badges 3.0）标准。",
        "en": "Provided by the Ningbo Municipal Education Bureau. "
        "Credentials follow the Open Badges 3.0 standard.",
    },
    # ---- verify page ----------------------------------------------------------------------
    "verify.title": {"zh": "核验技能微证书", "en": "Verify a skill micro-credential"},
    "verify.intro": {
        "zh": "粘贴求职者发给您的证书令牌，或上传证书徽章图片（PNG 或 SVG），"
        "几秒钟即可知道证书是否真实有效。",
        "en": "Paste the credential token the candidate sent you, or upload the badge image "
        "(PNG or SVG). You will know in seconds whether it is genuine and in force.",
    },
    "verify.token.label": {"zh": "证书令牌", "en": "Credential token"},
    "verify.token.hint": {
        "zh": "以 eyJ 开头的一长串字符，整段粘贴即可。",
        "en": "A long text starting with eyJ; paste all of it.",
    },
    "verify.file.label": {"zh": "或者上传证书图片", "en": "Or upload the badge image"},
    "verify.file.hint": {
        "zh": "证书徽章 PNG 或 SVG 文件，最大 {mb} MB。",
        "en": "The badge PNG or SVG file, at most {mb} MB.",
    },
    "verify.submit": {"zh": "核验", "en": "Verify"},
    "verify.by_id.label": {"zh": "证书编号", "en": "Credential number"},
    "verify.by_id.hint": {
        "zh": "本平台签发的证书也可按编号核验，例如 urn:uuid:…",
        "en": "Credentials issued here can also be checked by number, e.g. urn:uuid:…",
    },
    "verify.by_id.submit": {"zh": "按编号核验", "en": "Check by number"},
    "verify.privacy": {
        "zh": "您提交的内容只用于这次核验，不会被保存。",
        "en": "What you submit is used for this check only and is not stored.",
    },
    "verify.again": {"zh": "核验另一份证书", "en": "Verify another credential"},
    "verify.error.title": {"zh": "无法核验", "en": "Cannot verify"},
    "verify.error.empty": {
        "zh": "请粘贴证书令牌，或选择一个证书图片文件。",
        "en": "Paste a credential token or choose a badge image file.",
    },
    "verify.error.both": {
        "zh": "请只提交一项：令牌或图片。",
        "en": "Submit one thing only: the token or the image.",
    },
    "verify.error.too_large": {
        "zh": "文件太大（最大 {mb} MB）。",
        "en": "The file is too large (at most {mb} MB).",
    },
    "verify.error.bad_form": {
        "zh": "表单无法读取，请重试。",
        "en": "The form could not be read; please try again.",
    },
    "verify.error.bad_id": {
        "zh": "证书编号格式不对，应为 urn:uuid: 加 36 位编号。",
        "en": "That is not a credential number (urn:uuid: followed by 36 characters).",
    },
    "verify.error.not_found": {
        "zh": "本平台没有这个编号的证书。",
        "en": "No credential with this number was issued here.",
    },
    "unreadable.malformed_token": {
        "zh": "这不是证书令牌：请确认复制了完整的一段（以 eyJ 开头）。",
        "en": "This is not a credential token: check that you copied all of it (it starts "
        "with eyJ).",
    },
    "unreadable.malformed_credential": {
        "zh": "这不是可读取的 JSON 证书。",
        "en": "This is not a readable JSON credential.",
    },
    "unreadable.no_credential": {
        "zh": "这张图片里没有嵌入证书。请上传证书下载页提供的徽章图片。",
        "en": "This image holds no credential. Upload the badge image from the credential's "
        "download page.",
    },
    "unreadable.multiple_credentials": {
        "zh": "这张图片里嵌有不止一份证书，无法判断是哪一份。",
        "en": "This image holds more than one credential, so it cannot tell which one.",
    },
    "unreadable.not_a_png": {"zh": "文件不是有效的 PNG 图片。", "en": "The file is not a PNG."},
    "unreadable.not_an_svg": {
        "zh": "文件不是有效的 SVG 图片。",
        "en": "The file is not a valid SVG image.",
    },
    "unreadable.corrupt": {
        "zh": "文件已损坏，或者不是 PNG、SVG 或令牌。",
        "en": "The file is damaged, or it is not a PNG, an SVG or a token.",
    },
    "unreadable.other": {
        "zh": "没有找到可读取的证书。",
        "en": "No readable credential was found.",
    },
    # ---- results --------------------------------------------------------------------------
    "result.heading": {"zh": "核验结果", "en": "Result"},
    "result.valid": {"zh": "有效", "en": "Valid"},
    "result.valid.explain": {
        "zh": "证书由下列机构签发，签发后未被改动，目前有效。",
        "en": "Issued by the issuer named below, unchanged since, and currently in force.",
    },
    "result.invalid": {"zh": "无效", "en": "Not valid"},
    "result.invalid.explain": {
        "zh": "这份证书不可信：内容被改动过，或不是由所写的机构签发。请不要接受。",
        "en": "Do not accept this credential: it was altered, or it was not issued by the "
        "issuer it names.",
    },
    "result.revoked": {"zh": "已撤销", "en": "Revoked"},
    "result.revoked.explain": {
        "zh": "签发机构已撤销这份证书，它不再有效。",
        "en": "The issuer has revoked this credential. It is no longer valid.",
    },
    "result.suspended": {"zh": "已暂停", "en": "Suspended"},
    "result.suspended.explain": {
        "zh": "签发机构暂停了这份证书，目前不能作为有效证明。",
        "en": "The issuer has suspended this credential. It cannot be relied on for now.",
    },
    "result.expired": {"zh": "已过期", "en": "Expired"},
    "result.expired.explain": {
        "zh": "这份证书已超过有效期。",
        "en": "This credential is past the end of its validity period.",
    },
    "result.not_yet_valid": {"zh": "尚未生效", "en": "Not yet valid"},
    "result.not_yet_valid.explain": {
        "zh": "这份证书的生效时间还没到。",
        "en": "This credential's validity period has not started yet.",
    },
    "result.inconclusive": {"zh": "无法确认", "en": "Cannot be confirmed"},
    "result.inconclusive.explain": {
        "zh": "部分检查暂时无法完成，所以不能确认证书有效。请稍后再试，或联系签发机构。",
        "en": "Some checks could not be completed right now, so the credential cannot be "
        "confirmed as valid. Try again later or contact the issuer.",
    },
    "checks.heading": {"zh": "逐项检查", "en": "Checks"},
    "checks.caption": {"zh": "每一项检查及其结果", "en": "Each check and its outcome"},
    "outcome.passed": {"zh": "通过", "en": "Passed"},
    "outcome.failed": {"zh": "未通过", "en": "Failed"},
    "outcome.inconclusive": {"zh": "无法确认", "en": "Could not check"},
    "outcome.skipped": {"zh": "未检查", "en": "Not checked"},
    "outcome.warning": {"zh": "注意", "en": "Note"},
    "check.signature": {"zh": "签名", "en": "Signature"},
    "check.key_provenance": {"zh": "签发机构密钥", "en": "Issuer's key"},
    "check.shape": {"zh": "证书格式", "en": "Credential format"},
    "check.validity": {"zh": "有效期", "en": "Validity period"},
    "check.status": {"zh": "撤销与暂停", "en": "Revocation and suspension"},
    "check.signature.passed": {
        "zh": "签名正确：内容自签发以来没有被改动。",
        "en": "The signature is correct: nothing has changed since it was issued.",
    },
    "check.signature.failed": {
        "zh": "签名不符：内容被改动过，或不是由该机构签发。",
        "en": "The signature does not match: the content was altered or not issued by this issuer.",
    },
    "check.signature.unsupported_cryptosuite": {
        "zh": "这种内嵌证明（签名方式）在这里无法核验。",
        "en": "This kind of embedded proof cannot be checked here.",
    },
    "check.signature.unknown_context": {
        "zh": "证书引用了本服务不认识的 JSON-LD 上下文，无法确定它签的是什么内容。",
        "en": "The credential names a JSON-LD context this service does not know, so what was "
        "signed cannot be determined.",
    },
    "check.signature.undefined_terms": {
        "zh": "证书里有未定义的内容，签名覆盖不到它们，不能接受。",
        "en": "The credential holds content no context defines; the signature cannot cover it.",
    },
    "check.signature.key_unavailable": {
        "zh": "暂时无法取得证明所用的密钥。",
        "en": "The key named by the proof could not be fetched right now.",
    },
    "check.key_provenance.passed": {
        "zh": "签名用的密钥属于签发机构，且未被作废。",
        "en": "The signing key belongs to the issuer and has not been withdrawn.",
    },
    "check.key_provenance.unknown_kid": {
        "zh": "找不到签名用的密钥：这份证书不是由它所写的机构签发的。",
        "en": "The signing key is unknown: the named issuer did not issue this credential.",
    },
    "check.key_provenance.key_compromised": {
        "zh": "签发机构已作废这把签名密钥，用它签的证书不可信。",
        "en": "The issuer has withdrawn this signing key; credentials signed with it cannot "
        "be trusted.",
    },
    "check.key_provenance.kid_issuer_mismatch": {
        "zh": "签名密钥不属于证书上写的签发机构。",
        "en": "The signing key does not belong to the issuer named on the credential.",
    },
    "check.key_provenance.failed": {
        "zh": "无法证明签名密钥属于签发机构。",
        "en": "The signing key cannot be shown to belong to the issuer.",
    },
    "check.key_provenance.inconclusive": {
        "zh": "暂时无法取得签发机构的密钥。",
        "en": "The issuer's key could not be fetched right now.",
    },
    "check.signature.crit_unsupported": {
        "zh": "令牌要求核验方理解某些扩展（crit），本服务不支持，不能接受。",
        "en": "The token requires extensions (crit) this service does not understand.",
    },
    "check.signature.jwk_private_key": {
        "zh": "令牌里带有私钥材料，不能接受。",
        "en": "The token carries private key material and cannot be accepted.",
    },
    "check.key_provenance.own_issuer_foreign_key": {
        "zh": "证书自称由本机构签发，却不是用本机构的密钥签名的：是伪造的。",
        "en": "The credential claims this issuer but is not signed with one of its keys: "
        "it is forged.",
    },
    "check.key_provenance.issuer_key_unconfirmed": {
        "zh": "签名正确，但无法确认签名密钥属于证书上写的签发机构（该机构没有公布这把密钥）。",
        "en": "The signature is correct, but the key cannot be confirmed as the issuer's "
        "(the issuer does not publish it).",
    },
    "check.shape.jti_missing": {
        "zh": "令牌缺少证书编号（jti）。",
        "en": "The token lacks the credential id claim (jti).",
    },
    "check.shape.sub_missing": {
        "zh": "令牌缺少持有人标识（sub）。",
        "en": "The token lacks the holder claim (sub).",
    },
    "check.shape.nbf_missing": {
        "zh": "令牌缺少生效时间（nbf）。",
        "en": "The token lacks the valid-from claim (nbf).",
    },
    "check.shape.typ_invalid": {
        "zh": "令牌类型（typ）不是 JWT。",
        "en": "The token type (typ) is not JWT.",
    },
    "check.shape.unexpected_header": {
        "zh": "令牌头部有本机构从不签发的字段：不是本机构签发的。",
        "en": "The token header has members this issuer never issues: it is not its token.",
    },
    "check.shape.unknown_header": {
        "zh": "令牌头部有本服务不认识的字段，按标准已忽略。",
        "en": "The token header has members this service does not know; they were ignored, "
        "as the standard requires.",
    },
    "check.warning": {"zh": "请注意。", "en": "Note."},
    "check.shape.passed": {
        "zh": "证书结构符合开放徽章 3.0 标准。",
        "en": "The credential is a well-formed Open Badges 3.0 credential.",
    },
    "check.shape.failed": {
        "zh": "证书结构不符合标准，内容不可信。",
        "en": "The credential is not well formed; its content cannot be trusted.",
    },
    "check.validity.passed": {"zh": "在有效期内。", "en": "Within its validity period."},
    "check.validity.expired": {"zh": "已超过有效期。", "en": "Past its validity period."},
    "check.validity.not_yet_valid": {
        "zh": "还没有到生效时间。",
        "en": "Its validity period has not started.",
    },
    "check.status.passed": {
        "zh": "签发机构没有撤销，也没有暂停这份证书。",
        "en": "The issuer has neither revoked nor suspended this credential.",
    },
    "check.status.no_status": {
        "zh": "这份证书没有登记撤销状态，无法查询是否被撤销。",
        "en": "This credential has no revocation entry, so revocation cannot be checked.",
    },
    "check.status.revoked": {
        "zh": "签发机构已撤销这份证书。",
        "en": "The issuer has revoked this credential.",
    },
    "check.status.suspended": {
        "zh": "签发机构已暂停这份证书。",
        "en": "The issuer has suspended this credential.",
    },
    "check.status.inconclusive": {
        "zh": "无法取得或验证签发机构的撤销名单，不能确认证书是否已被撤销。",
        "en": "The issuer's revocation list could not be fetched or verified, so it is "
        "unknown whether the credential was revoked.",
    },
    "check.skipped": {
        "zh": "没有检查：前面的检查已经不通过。",
        "en": "Not checked: an earlier check already failed.",
    },
    "check.inconclusive": {"zh": "暂时无法检查。", "en": "Could not be checked right now."},
    "check.failed": {"zh": "未通过。", "en": "Failed."},
    "check.passed": {"zh": "通过。", "en": "Passed."},
    # ---- what was verified ----------------------------------------------------------------
    "details.heading": {"zh": "证书内容", "en": "What the credential says"},
    "details.unverified": {
        "zh": "以下内容未能确认为真实，仅供参考。",
        "en": "The content below could not be confirmed as genuine; for reference only.",
    },
    "field.achievement": {"zh": "证书名称", "en": "Credential"},
    "field.skill": {"zh": "职业（工种）", "en": "Occupation"},
    "field.level": {"zh": "技能等级", "en": "Skill level"},
    "field.issuer": {"zh": "签发机构", "en": "Issuer"},
    "field.issued": {"zh": "签发日期", "en": "Issued on"},
    "field.valid_until": {"zh": "有效期至", "en": "Valid until"},
    "field.hours": {"zh": "培训学时", "en": "Training hours"},
    "field.score": {"zh": "考核成绩", "en": "Assessment score"},
    "field.credential_id": {"zh": "证书编号", "en": "Credential number"},
    "field.holder": {"zh": "持证人", "en": "Holder"},
    "hours.value": {
        "zh": "{hours} 学时（每学时 45 分钟）",
        "en": "{hours} 学时 (hours of 45 minutes)",
    },
    "skill.value": {"zh": "{name}（{code}）", "en": "{name} ({code})"},
    "colon": {"zh": "：", "en": ": "},
    "issuer.here": {"zh": "本平台签发", "en": "issued by this service"},
    "issuer.elsewhere": {"zh": "其他机构签发：{host}", "en": "issued elsewhere: {host}"},
    "level.1": {"zh": "一级 / 高级技师", "en": "Level 1 — senior technician (高级技师)"},
    "level.2": {"zh": "二级 / 技师", "en": "Level 2 — technician (技师)"},
    "level.3": {"zh": "三级 / 高级工", "en": "Level 3 — advanced worker (高级工)"},
    "level.4": {"zh": "四级 / 中级工", "en": "Level 4 — intermediate worker (中级工)"},
    "level.5": {"zh": "五级 / 初级工", "en": "Level 5 — entry worker (初级工)"},
    # ---- dashboard ------------------------------------------------------------------------
    "dashboard.title": {
        "zh": "终身职业技能培训目标进度",
        "en": "Lifelong skills training: progress",
    },
    "dashboard.intro": {
        "zh": "到 2027 年底完成 120 万人次职业技能培训。"
        "数字在每次培训完成时更新，只含汇总数，不含任何个人信息。",
        "en": "The city's goal: 1,200,000 training person-times by the end of 2027. Figures "
        "update as each training is completed; they are totals only, with no personal data.",
    },
    "dashboard.missing": {
        "zh": "尚未配置培训目标，暂无进度可显示。",
        "en": "No training target is configured yet, so there is no progress to show.",
    },
    "dashboard.achieved": {"zh": "已完成", "en": "Achieved"},
    "dashboard.of_target": {
        "zh": "目标 {target} 人次的 {percent}%",
        "en": "{percent}% of the {target} person-time target",
    },
    "dashboard.unit": {"zh": "人次", "en": "person-times"},
    "dashboard.period": {"zh": "统计期间：{start} 至 {end}", "en": "Period: {start} to {end}"},
    "dashboard.progress.title": {"zh": "目标完成进度", "en": "Progress toward the target"},
    "dashboard.progress.desc": {
        "zh": "已完成 {achieved} 人次，占目标 {target} 人次的 {percent}%。",
        "en": "{achieved} of {target} person-times, {percent}%.",
    },
    "dashboard.remaining": {"zh": "尚需", "en": "Still needed"},
    "dashboard.days_remaining": {"zh": "剩余天数", "en": "Days left"},
    "dashboard.pace_needed": {"zh": "每天需完成", "en": "Needed per day"},
    "dashboard.recent_pace": {"zh": "近期每天完成", "en": "Recent pace per day"},
    "dashboard.projected": {"zh": "按近期速度预计达成", "en": "Projected to reach it on"},
    "dashboard.projected.none": {
        "zh": "近期没有新增，无法预测",
        "en": "no recent completions, so no projection",
    },
    "dashboard.projected.beyond": {"zh": "公元 9999 年以后", "en": "after the year 9999"},
    "dashboard.projection.reached": {"zh": "目标已完成。", "en": "The target has been reached."},
    "dashboard.projection.on_track": {
        "zh": "按近期每天 {pace} 的速度，预计 {date} 达成，不晚于期限 {deadline}。",
        "en": "At the recent pace of {pace} a day the target is reached on {date}, "
        "by the deadline ({deadline}).",
    },
    "dashboard.projection.late": {
        "zh": "按近期每天 {pace} 的速度，预计 {date} 才能达成，晚于期限 {deadline}。",
        "en": "At the recent pace of {pace} a day the target would be reached on {date}, "
        "after the deadline ({deadline}).",
    },
    "dashboard.projection.late_far": {
        "zh": "按近期每天 {pace} 的速度，还需 {years} 多年，期限 {deadline} 前无法完成。",
        "en": "At the recent pace of {pace} a day it would take more than {years} years: "
        "not by the deadline ({deadline}).",
    },
    "dashboard.projection.no_recent_pace": {
        "zh": "最近 {days} 天没有新增，没有可用于预测的速度。",
        "en": "Nothing was gained in the last {days} days, so there is no pace to project from.",
    },
    "dashboard.targets": {"zh": "各项目标", "en": "All targets"},
    "dashboard.target.desc": {
        "zh": "已完成 {achieved}，占目标 {target} 的 {percent}%。",
        "en": "{achieved} of {target}, {percent}%.",
    },
    "dashboard.period.short": {"zh": "统计期间", "en": "Period"},
    "dashboard.participation.title": {
        "zh": "{year} 年企业职工教育培训参与率",
        "en": "Enterprise employees in training, {year}",
    },
    "dashboard.participation.desc": {
        "zh": "已申报职工人数的 {enterprises} 家企业共 {headcount} 名职工，"
        "其中 {participants} 人本年完成培训（按职工人数加权）。",
        "en": "{participants} of the {headcount} employees of the {enterprises} enterprises that "
        "declared a headcount completed a training this year (weighted by headcount).",
    },
    "dashboard.participation.none": {
        "zh": "{year} 年申报职工人数的企业不足 {min} 家，暂不公布参与率。",
        "en": "Fewer than {min} enterprises have declared their headcount for {year}, so no "
        "rate is shown yet.",
    },
    "dashboard.participation.by_districts": {"zh": "按区县市", "en": "By district"},
    "dashboard.participation.by_clusters": {"zh": "按产业集群", "en": "By industry cluster"},
    "dashboard.participation.hidden": {
        "zh": "另有 {n} 行因申报企业少于 {min} 家而不单独显示（已计入全市合计）。",
        "en": "{n} more rows have fewer than {min} reporting enterprises and are not shown on "
        "their own (the citywide figure includes them).",
    },
    "dashboard.participation.year_of": {"zh": "{year} 年", "en": "in {year}"},
    "dashboard.col.enterprises": {"zh": "企业数", "en": "Enterprises"},
    "dashboard.col.headcount": {"zh": "职工人数", "en": "Employees"},
    "dashboard.col.participants": {"zh": "参训人数", "en": "Trained"},
    "dashboard.col.rate": {"zh": "参与率", "en": "Rate"},
    "dashboard.on_track": {"zh": "进度正常", "en": "On track"},
    "dashboard.on_track.explain": {
        "zh": "按近期速度，可以在期限前完成目标。",
        "en": "At the recent pace the target is reached before the deadline.",
    },
    "dashboard.behind": {"zh": "进度落后", "en": "Behind schedule"},
    "dashboard.behind.explain": {
        "zh": "按近期速度，期限前无法完成目标，需要加快。",
        "en": "At the recent pace the target is not reached by the deadline.",
    },
    "dashboard.reached": {"zh": "目标已完成", "en": "Target reached"},
    "dashboard.reached.explain": {
        "zh": "已达到目标人次。",
        "en": "The target number of person-times has been reached.",
    },
    "dashboard.by_year": {"zh": "按年度", "en": "By year"},
    "dashboard.by_district": {"zh": "按区（县、市）", "en": "By district"},
    "dashboard.by_cluster": {"zh": "按产业集群", "en": "By industry cluster"},
    "dashboard.chart.desc": {
        "zh": "培训人次条形图，共 {n} 项，最多的是 {top}（{value} 人次）。",
        "en": "Bar chart of person-times, {n} items; the largest is {top} ({value}).",
    },
    "dashboard.chart.empty": {"zh": "暂无数据。", "en": "No data yet."},
    "dashboard.table": {"zh": "查看数据表", "en": "Show the data table"},
    "dashboard.col.person_times": {"zh": "培训人次", "en": "Person-times"},
    "dashboard.col.learners": {"zh": "培训人数", "en": "Learners"},
    "dashboard.col.hours": {"zh": "学时", "en": "Hours (学时)"},
    "dashboard.col.credentials": {"zh": "微证书", "en": "Credentials"},
    "dashboard.col.year": {"zh": "年度", "en": "Year"},
    "dashboard.col.district": {"zh": "区（县、市）", "en": "District"},
    "dashboard.col.cluster": {"zh": "产业集群", "en": "Industry cluster"},
    "dashboard.unassigned": {"zh": "未分类", "en": "Not assigned"},
    "dashboard.total": {"zh": "合计", "en": "Total"},
    # ---- share page -----------------------------------------------------------------------
    "share.title": {"zh": "技能微证书", "en": "Skill micro-credential"},
    "share.status": {"zh": "实时核验", "en": "Checked just now"},
    "share.checked_at": {"zh": "核验时间：{time}", "en": "Checked at {time}"},
    "share.name_hidden": {
        "zh": "持证人选择不公开姓名",
        "en": "The holder chose not to show their name",
    },
    "share.qr.heading": {"zh": "扫码打开本页", "en": "Scan to open this page"},
    "share.qr.title": {"zh": "本页网址的二维码", "en": "QR code of this page's address"},
    "share.qr.png": {"zh": "下载二维码图片", "en": "Download the QR code image"},
    "share.link.label": {"zh": "本页链接", "en": "Link to this page"},
    "share.copy": {"zh": "复制链接", "en": "Copy link"},
    "share.copied": {"zh": "已复制", "en": "Copied"},
    "share.downloads": {"zh": "下载证书", "en": "Download the credential"},
    "share.downloads.hint": {
        "zh": "图片中嵌有证书，可以在任何支持开放徽章 3.0 的核验页面上传核验。",
        "en": "The images carry the credential inside; upload them to any Open Badges 3.0 "
        "verifier.",
    },
    "share.download.jwt": {"zh": "证书令牌（.jwt）", "en": "Credential token (.jwt)"},
    "share.download.png": {"zh": "徽章图片（PNG）", "en": "Badge image (PNG)"},
    "share.download.svg": {"zh": "徽章图片（SVG）", "en": "Badge image (SVG)"},
    "holder.heading": {"zh": "核对持证人", "en": "Confirm the holder"},
    "holder.intro": {
        "zh": "如果您知道求职者的身份证号码，可以在这里核对证书是否属于此人。"
        "号码只用于本次核对，不会显示、保存或记录。",
        "en": "If you know the candidate's ID card number, check here that the credential "
        "is theirs. The number is used for this check only: never shown, stored or logged.",
    },
    "holder.label": {"zh": "身份证号码", "en": "ID card number"},
    "holder.hint": {
        "zh": "18 位，最后一位可能是 X。",
        "en": "18 characters; the last may be X.",
    },
    "holder.submit": {"zh": "核对", "en": "Check"},
    "holder.match": {"zh": "相符", "en": "Matches"},
    "holder.match.explain": {
        "zh": "这份证书属于该身份证号码的持有人。",
        "en": "This credential belongs to the person with that ID card number.",
    },
    "holder.no_match": {"zh": "不相符", "en": "Does not match"},
    "holder.no_match.explain": {
        "zh": "这份证书不属于该身份证号码的持有人。请确认号码输入无误。",
        "en": "This credential does not belong to the person with that ID card number. "
        "Check that the number was typed correctly.",
    },
    "holder.invalid": {
        "zh": "这不是有效的身份证号码，请检查后重试。",
        "en": "That is not a valid ID card number; check it and try again.",
    },
    "holder.unavailable": {
        "zh": "这份证书没有记录持证人的身份信息，无法核对。",
        "en": "This credential records no identity of its holder, so it cannot be checked.",
    },
    "share.gone.title": {"zh": "分享链接已撤回", "en": "This link was withdrawn"},
    "share.gone.body": {
        "zh": "持证人已撤回这个分享链接。如需核验，请向持证人索取新的链接或证书文件。",
        "en": "The holder has withdrawn this share link. To verify the credential, ask them "
        "for a new link or the credential file.",
    },
    "ratelimit.title": {"zh": "请求过于频繁", "en": "Too many attempts"},
    "ratelimit.body": {
        "zh": "您所在的网络在短时间内提交了太多次，请稍等一分钟后再试。",
        "en": "Too many attempts came from your network in a short time. Please wait a minute "
        "and try again.",
    },
    "notfound.title": {"zh": "找不到此页面", "en": "Page not found"},
    "notfound.body": {
        "zh": "链接可能不完整或有误，请检查后重试。",
        "en": "The link may be incomplete or mistyped; check it and try again.",
    },
}

# The staff import page's words live with it (one catalog per page family, small files).
MESSAGES |= IMPORT_MESSAGES
MESSAGES |= EMPLOYER_MESSAGES
MESSAGES |= OIDC_MESSAGES
