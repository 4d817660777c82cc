package page

// Texts are the page's words, by language; every language has every key (a test checks).
var Texts = map[string]map[string]string{
	"ar": {
		"title": "الأرقام", "token": "رمز المشرف", "token_help": "الرمز المكتوب في admin.token بملف الإعداد.",
		"signin": "دخول", "signout": "خروج", "bad_token": "الرمز غير صحيح.", "load_error": "تعذّرت قراءة الأرقام.",
		"lang_other": "English", "lang_other_code": "en", "updated": "آخر تحديث", "empty": "لا أرقام في الإعداد.",
		"number": "الرقم", "role": "الدور", "account": "الحساب", "portfolio": "المحفظة", "state": "الحالة",
		"quality": "الجودة", "throughput": "السرعة", "score": "الصحة", "today": "اليوم", "warmup": "يوم الإحماء",
		"tier": "حد الإرسال", "campaigns": "الحملات", "per_second": "رسالة/ث", "sent": "أُرسلت", "delivered": "وصلت",
		"read": "قُرئت", "replied": "ردود", "opted_out": "إلغاء اشتراك", "failed": "فشلت", "cannot_send": "لا يمكنه الإرسال",
		"role_inbox": "صندوق الوارد", "role_campaign": "حملات",
		"state_active": "نشط", "state_slowed": "مُبطّأ", "state_stopped": "متوقف", "state_retired": "مُستبعد",
		"quality_GREEN": "أخضر", "quality_YELLOW": "أصفر", "quality_RED": "أحمر", "quality_UNKNOWN": "غير معروف",
		"status_flagged": "تحذير من Meta", "status_restricted": "مقيّد", "status_banned": "محظور",
		"summary":    "{healthy} من {total} أرقام حملات سليمة",
		"why_slowed": "يرسل {allowance} من حصته اليومية: صحته {score}", "why_stopped": "متوقف حتى أيام نظيفة: صحته {score}",
		"why_stopped_red": "متوقف: تقييم Meta أحمر", "why_retired": "مُستبعد: Meta لا تسمح له بالإرسال",
	},
	"en": {
		"title": "Numbers", "token": "Admin token", "token_help": "The token set as admin.token in the configuration.",
		"signin": "Sign in", "signout": "Sign out", "bad_token": "Wrong token.", "load_error": "The numbers could not be read.",
		"lang_other": "العربية", "lang_other_code": "ar", "updated": "Updated", "empty": "No numbers in the configuration.",
		"number": "Number", "role": "Role", "account": "Account", "portfolio": "Portfolio", "state": "State",
		"quality": "Quality", "throughput": "Throughput", "score": "Health", "today": "Today", "warmup": "Warm-up day",
		"tier": "Messaging limit", "campaigns": "Campaigns", "per_second": "msg/s", "sent": "sent", "delivered": "delivered",
		"read": "read", "replied": "replies", "opted_out": "opt-outs", "failed": "failed", "cannot_send": "cannot send",
		"role_inbox": "Inbox", "role_campaign": "Campaign",
		"state_active": "Active", "state_slowed": "Slowed", "state_stopped": "Stopped", "state_retired": "Retired",
		"quality_GREEN": "Green", "quality_YELLOW": "Yellow", "quality_RED": "Red", "quality_UNKNOWN": "Unknown",
		"status_flagged": "Flagged by Meta", "status_restricted": "Restricted", "status_banned": "Banned",
		"summary":    "{healthy} of {total} campaign numbers healthy",
		"why_slowed": "sends {allowance} of its daily allowance: health {score}", "why_stopped": "stopped until clean days: health {score}",
		"why_stopped_red": "stopped: Meta rates it RED", "why_retired": "retired: Meta does not let it send",
	},
}
