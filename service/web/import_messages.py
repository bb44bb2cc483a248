"""The words of the staff import page (``/imports``): ``key -> {"zh": ..., "en": ...}``,
merged into :data:`service.web.messages.MESSAGES`."""

from __future__ import annotations

IMPORT_MESSAGES: dict[str, dict[str, str]] = {
    "imports.title": {"zh": "导入培训名单", "en": "Import training records"},
    "imports.intro": {
        "zh": "培训机构可以在这里上传学员名单、报名名单或考勤记录（Excel 或 CSV 文件），"
        "并查看每一行的处理结果。",
        "en": "Training providers upload learner lists, enrolments or attendance here (Excel or "
        "CSV files) and see what happened to every row.",
    },
    "imports.noscript": {
        "zh": "此页面需要启用 JavaScript。",
        "en": "This page needs JavaScript.",
    },
    "imports.signin.heading": {"zh": "登录", "en": "Sign in"},
    "imports.signin.email": {"zh": "电子邮箱", "en": "Email"},
    "imports.signin.password": {"zh": "密码", "en": "Password"},
    "imports.signin.submit": {"zh": "登录", "en": "Sign in"},
    "imports.signout": {"zh": "退出登录", "en": "Sign out"},
    "imports.signed_in_as": {
        "zh": "已登录：{email}（{role}）",
        "en": "Signed in: {email} ({role})",
    },
    "imports.role.admin": {"zh": "管理员", "en": "administrator"},
    "imports.role.org_admin": {"zh": "机构管理员", "en": "organization administrator"},
    "imports.role.trainer": {"zh": "培训专员", "en": "trainer"},
    "imports.form.heading": {"zh": "上传文件", "en": "Upload a file"},
    "imports.kind.label": {"zh": "导入内容", "en": "What the file holds"},
    "imports.kind.hint": {
        "zh": "每个文件只能包含一种内容。",
        "en": "Each file holds one kind of record.",
    },
    "imports.kind.learners": {"zh": "学员名单", "en": "Learners"},
    "imports.kind.enrollments": {"zh": "报名名单", "en": "Enrolments"},
    "imports.kind.attendance": {"zh": "考勤记录（学时）", "en": "Attendance (hours)"},
    "imports.templates.hint": {
        "zh": "下载所选内容的模板，按表头填写：",
        "en": "Download the template for this kind and fill in its columns:",
    },
    "imports.templates.xlsx": {"zh": "Excel 模板（.xlsx）", "en": "Excel template (.xlsx)"},
    "imports.templates.csv": {"zh": "CSV 模板（.csv）", "en": "CSV template (.csv)"},
    "imports.file.label": {"zh": "选择文件", "en": "File"},
    "imports.file.hint": {
        "zh": "Excel（.xlsx）或 CSV（UTF-8 或 GB18030 编码）。只能有一个工作表，不能含公式或密码。",
        "en": "Excel (.xlsx) or CSV (UTF-8 or GB18030). One sheet, no formulas, no password.",
    },
    "imports.dry_run.label": {
        "zh": "仅检查，不写入（试运行）",
        "en": "Check only, write nothing (dry run)",
    },
    "imports.dry_run.hint": {
        "zh": "逐行检查并生成结果报告，但不保存任何数据。",
        "en": "Every row is checked and reported, but nothing is saved.",
    },
    "imports.org.label": {"zh": "机构编号", "en": "Organization ID"},
    "imports.org.hint": {
        "zh": "管理员导入时填写数据所属机构的编号。",
        "en": "Administrators: the ID of the organization the records belong to.",
    },
    "imports.submit": {"zh": "上传并导入", "en": "Upload and import"},
    "imports.progress.heading": {"zh": "导入进度", "en": "Progress"},
    "imports.progress.bar": {"zh": "已处理的行", "en": "Rows processed"},
    "imports.status.queued": {"zh": "排队等候中…", "en": "Waiting in line…"},
    "imports.status.checking": {"zh": "正在检查文件…", "en": "Checking the file…"},
    "imports.status.running": {"zh": "正在导入…", "en": "Importing…"},
    "imports.status.done": {"zh": "✓ 导入完成", "en": "✓ Import finished"},
    "imports.status.done_dry": {
        "zh": "✓ 检查完成（试运行，未写入任何数据）",
        "en": "✓ Check finished (dry run: nothing was saved)",
    },
    "imports.status.refused": {"zh": "✗ 文件未被接受", "en": "✗ File refused"},
    "imports.status.failed": {"zh": "✗ 导入失败", "en": "✗ Import failed"},
    "imports.rows": {"zh": "已处理 {done} / {total} 行", "en": "{done} of {total} rows processed"},
    "imports.rows_unknown": {"zh": "正在统计行数…", "en": "Counting rows…"},
    "imports.count.accepted": {"zh": "已接受", "en": "Accepted"},
    "imports.count.duplicate": {"zh": "重复（已存在）", "en": "Duplicates (already there)"},
    "imports.count.rejected": {"zh": "未通过", "en": "Rejected"},
    "imports.refused.heading": {"zh": "文件未被接受", "en": "The file was refused"},
    "imports.refused.code": {"zh": "原因代码：{code}", "en": "Reason code: {code}"},
    "imports.failed.body": {
        "zh": "导入中途出错，请稍后重试；如仍失败，请联系平台管理员。",
        "en": "The import broke off. Try again later; if it fails again, contact the platform "
        "administrator.",
    },
    "imports.refusal.not-a-spreadsheet": {
        "zh": "这不是 Excel 工作簿（.xlsx）或 CSV 文件。请另存为 .xlsx 或 CSV 后重新上传。",
        "en": "This is neither an Excel workbook (.xlsx) nor a CSV file. Save it as one of "
        "those and upload it again.",
    },
    "imports.refusal.legacy-xls": {
        "zh": "这是旧版 Excel 文件（.xls）。请另存为 .xlsx 或 CSV 后重新上传。",
        "en": "This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again.",
    },
    "imports.refusal.encrypted-spreadsheet": {
        "zh": "工作簿设置了密码。请取消密码保护后重新上传。",
        "en": "The workbook has a password. Remove the protection and upload it again.",
    },
    "imports.refusal.unreadable-encoding": {
        "zh": "无法识别 CSV 文件的文字编码。请以 UTF-8 或 GB18030 编码另存后重新上传。",
        "en": "The CSV file's text encoding is not readable. Save it as UTF-8 or GB18030.",
    },
    "imports.refusal.empty-file": {
        "zh": "文件是空的，或者只有表头没有数据。",
        "en": "The file is empty, or has a header but no data.",
    },
    "imports.refusal.header-missing-columns": {
        "zh": "第一行（表头）缺少必填列。请对照模板检查表头。",
        "en": "The first row (the header) lacks required columns. Compare it with the template.",
    },
    "imports.refusal.header-unknown-column": {
        "zh": "第一行（表头）中有无法识别的列名。请对照模板检查表头。",
        "en": "The first row (the header) has a column name we do not know. Compare it with "
        "the template.",
    },
    "imports.refusal.header-duplicate-column": {
        "zh": "第一行（表头）中有重复的列。",
        "en": "The first row (the header) names a column twice.",
    },
    "imports.refusal.too-many-rows": {
        "zh": "文件行数超过上限。请拆分成几个文件分别上传。",
        "en": "The file has too many rows. Split it into several files.",
    },
    "imports.refusal.too-many-columns": {
        "zh": "文件列数过多。请只保留模板中的列。",
        "en": "The file has too many columns. Keep only the template's columns.",
    },
    "imports.refusal.cell-too-long": {
        "zh": "有单元格的内容过长。",
        "en": "A cell holds too much text.",
    },
    "imports.refusal.file-too-large": {
        "zh": "文件太大。请拆分成几个文件分别上传。",
        "en": "The file is too large. Split it into several files.",
    },
    "imports.refusal.formula-in-data": {
        "zh": "表格中含有公式。请把公式转换为数值（复制后“选择性粘贴 → 数值”）再上传。",
        "en": "The sheet contains formulas. Turn them into values (copy, then paste values "
        "only) and upload again.",
    },
    "imports.reports.heading": {"zh": "结果报告", "en": "Report"},
    "imports.reports.hint": {
        "zh": "报告列出每一行及其结果和原因，身份证号已部分隐藏。",
        "en": "The report lists every row with its outcome and reason; ID numbers are masked.",
    },
    "imports.reports.xlsx": {"zh": "下载报告（Excel）", "en": "Download the report (Excel)"},
    "imports.reports.csv": {"zh": "下载报告（CSV）", "en": "Download the report (CSV)"},
    "imports.error.signin": {
        "zh": "邮箱或密码不正确。",
        "en": "The email or password is not right.",
    },
    "imports.error.not_staff": {
        "zh": "此账号不能导入数据：需要培训机构或管理员账号。",
        "en": "This account cannot import: a training provider's or administrator's account is "
        "needed.",
    },
    "imports.error.expired": {
        "zh": "登录已过期，请重新登录。",
        "en": "Your sign-in has expired; please sign in again.",
    },
    "imports.error.forbidden": {
        "zh": "您的账号没有执行此操作的权限。",
        "en": "Your account is not allowed to do this.",
    },
    "imports.error.too_large": {"zh": "文件太大。", "en": "The file is too large."},
    "imports.error.network": {
        "zh": "无法连接服务器，请检查网络后重试。",
        "en": "The server cannot be reached; check the connection and try again.",
    },
    "imports.error.no_file": {"zh": "请选择要上传的文件。", "en": "Choose a file to upload."},
    "imports.error.upload": {"zh": "上传未被接受：", "en": "The upload was not accepted:"},
    "imports.error.download": {"zh": "下载失败，请重试。", "en": "The download failed; try again."},
}
