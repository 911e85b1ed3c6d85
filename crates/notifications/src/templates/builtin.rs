//! Built-in templates: every event kind in English (`en`) and Spanish (`es`).
//!
//! Each text body is a greeting, the kind's own lines, then the shared tail
//! (`body` unless it only repeats `reason`, `link`, and the tenant's signature
//! except in an SMS); each HTML body is the same inside one shared
//! layout. Templates render with `trim_blocks` and `lstrip_blocks` on, so a
//! block tag alone on its line leaves no blank line behind.

use crate::model::EventKind;
use crate::templates::TemplateSet;

/// A built-in template: the three parts as static text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// Subject line (email subject; one line).
    pub subject: &'static str,
    /// Plain-text body (email text part, SMS, in-app).
    pub text: &'static str,
    /// HTML body (email HTML part), rendered with auto-escaping.
    pub html: &'static str,
}

impl Builtin {
    /// An owned copy, for rendering or as the starting point of an override.
    pub fn to_set(&self) -> TemplateSet {
        TemplateSet {
            subject: self.subject.to_owned(),
            text: self.text.to_owned(),
            html: self.html.to_owned(),
        }
    }
}

/// An English plain-text body around the kind's own lines.
macro_rules! text_en {
    ($details:literal) => {
        concat!(
            "Hello{% if user_name %} {{ user_name }}{% endif %},\n\n",
            $details,
            "{% if body and body != reason %}\n\n{{ body }}\n{% endif %}\n",
            "{% if link %}\n\n{{ link }}\n{% endif %}\n",
            "{% if channel != \"sms\" %}\n\n-- \n{{ tenant_name | default(\"Warden\") }}{% endif %}\n"
        )
    };
}

/// A Spanish plain-text body around the kind's own lines.
macro_rules! text_es {
    ($details:literal) => {
        concat!(
            "Hola{% if user_name %} {{ user_name }}{% endif %}:\n\n",
            $details,
            "{% if body and body != reason %}\n\n{{ body }}\n{% endif %}\n",
            "{% if link %}\n\n{{ link }}\n{% endif %}\n",
            "{% if channel != \"sms\" %}\n\n-- \n{{ tenant_name | default(\"Warden\") }}{% endif %}\n"
        )
    };
}

/// An HTML body in the shared layout, for the given `lang` attribute,
/// greeting and the kind's own paragraphs.
macro_rules! html {
    ($lang:literal, $hello:literal, $details:literal) => {
        concat!(
            "<!DOCTYPE html>\n<html lang=\"",
            $lang,
            "\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "</head>\n",
            "<body style=\"margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;",
            "font-size:15px;line-height:1.5;color:#1f2933;background:#ffffff;\">\n",
            "<p>",
            $hello,
            "{% if user_name %} {{ user_name }}{% endif %},</p>\n",
            $details,
            "{% if body and body != reason %}\n<p style=\"white-space:pre-line;\">{{ body }}</p>\n{% endif %}\n",
            "{% if link %}\n<p><a href=\"{{ link }}\">{{ link }}</a></p>\n{% endif %}\n",
            "<p style=\"color:#616e7c;font-size:13px;\">&mdash; ",
            "{{ tenant_name | default(\"Warden\") }}</p>\n",
            "</body>\n</html>\n"
        )
    };
}

/// The built-in template of `kind` in `lang` (`en` or `es`); `None` for any
/// other language.
pub fn builtin(kind: EventKind, lang: &str) -> Option<&'static Builtin> {
    match lang {
        "en" => Some(en(kind)),
        "es" => Some(es(kind)),
        _ => None,
    }
}

/// English templates.
fn en(kind: EventKind) -> &'static Builtin {
    match kind {
        EventKind::ViolationCreated => &EN_VIOLATION_CREATED,
        EventKind::Ban => &EN_BAN,
        EventKind::BanLifted => &EN_BAN_LIFTED,
        EventKind::ReviewRequested => &EN_REVIEW_REQUESTED,
        EventKind::ReviewDecided => &EN_REVIEW_DECIDED,
        EventKind::Detection => &EN_DETECTION,
        EventKind::AppealDecided => &EN_APPEAL_DECIDED,
        EventKind::RateLimitAbuse => &EN_RATE_LIMIT_ABUSE,
        EventKind::VerificationCode => &EN_VERIFICATION_CODE,
        EventKind::TrustLevelChanged => &EN_TRUST_LEVEL_CHANGED,
        EventKind::TrustDemotionWarning => &EN_TRUST_DEMOTION_WARNING,
        EventKind::StatementOfReasons => &EN_STATEMENT_OF_REASONS,
        EventKind::ReportDecided => &EN_REPORT_DECIDED,
    }
}

/// Spanish templates.
fn es(kind: EventKind) -> &'static Builtin {
    match kind {
        EventKind::ViolationCreated => &ES_VIOLATION_CREATED,
        EventKind::Ban => &ES_BAN,
        EventKind::BanLifted => &ES_BAN_LIFTED,
        EventKind::ReviewRequested => &ES_REVIEW_REQUESTED,
        EventKind::ReviewDecided => &ES_REVIEW_DECIDED,
        EventKind::Detection => &ES_DETECTION,
        EventKind::AppealDecided => &ES_APPEAL_DECIDED,
        EventKind::RateLimitAbuse => &ES_RATE_LIMIT_ABUSE,
        EventKind::VerificationCode => &ES_VERIFICATION_CODE,
        EventKind::TrustLevelChanged => &ES_TRUST_LEVEL_CHANGED,
        EventKind::TrustDemotionWarning => &ES_TRUST_DEMOTION_WARNING,
        EventKind::StatementOfReasons => &ES_STATEMENT_OF_REASONS,
        EventKind::ReportDecided => &ES_REPORT_DECIDED,
    }
}

// ---------------------------------------------------------------- English

static EN_VIOLATION_CREATED: Builtin = Builtin {
    subject: "A violation was recorded on your account",
    text: text_en!(
        r#"A violation of the rules was recorded on your account.
{% if action == "warning" %}
This is a warning: your account stays usable.
{% elif action == "temporary_ban" %}
Your account has been suspended{% if until %} until {{ until }}{% endif %}.
{% elif action == "permanent_ban" %}
Your account has been suspended permanently.
{% elif action %}
Action taken: {{ action }}
{% endif %}
{% if reason %}
Reason: {{ reason }}
{% endif %}
{% if ground_name %}
Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
You may appeal until {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>A violation of the rules was recorded on your account.</p>
{% if action == "warning" %}
<p>This is a warning: your account stays usable.</p>
{% elif action == "temporary_ban" %}
<p>Your account has been suspended{% if until %} until <strong>{{ until }}</strong>{% endif %}.</p>
{% elif action == "permanent_ban" %}
<p>Your account has been <strong>suspended permanently</strong>.</p>
{% elif action %}
<p>Action taken: {{ action }}</p>
{% endif %}
{% if reason %}
<p>Reason: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>You may appeal until <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static EN_BAN: Builtin = Builtin {
    subject: "Your account has been suspended",
    text: text_en!(
        r#"{% if until %}
Your account has been suspended until {{ until }}.
{% else %}
Your account has been suspended permanently.
{% endif %}
{% if reason %}
Reason: {{ reason }}
{% endif %}
{% if ground_name %}
Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
You may appeal until {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"{% if until %}
<p>Your account has been suspended until <strong>{{ until }}</strong>.</p>
{% else %}
<p>Your account has been <strong>suspended permanently</strong>.</p>
{% endif %}
{% if reason %}
<p>Reason: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>You may appeal until <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static EN_BAN_LIFTED: Builtin = Builtin {
    subject: "Your account has been restored",
    text: text_en!(
        r#"The suspension of your account has ended: you can use it again.
{% if reason %}
Reason: {{ reason }}
{% endif %}
{% if ground_name %}
Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
You may appeal until {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>The suspension of your account has ended: you can use it again.</p>
{% if reason %}
<p>Reason: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>You may appeal until <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static EN_REVIEW_REQUESTED: Builtin = Builtin {
    subject: "Content awaits review{% if content_type %}: {{ content_type }}{% endif %}",
    text: text_en!(
        r#"An item{% if content_type %} ({{ content_type }}){% endif %} needs a moderator's review.
{% if reason %}
Flagged because: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>An item{% if content_type %} (<strong>{{ content_type }}</strong>){% endif %} needs a moderator's review.</p>
{% if reason %}
<p>Flagged because: {{ reason }}</p>
{% endif %}
"#
    ),
};

static EN_REVIEW_DECIDED: Builtin = Builtin {
    subject: "A moderator reviewed your content",
    text: text_en!(
        r#"Your content{% if content_type %} ({{ content_type }}){% endif %} was reviewed by a moderator.
{% if decision == "approved" %}
Decision: approved. It is visible again.
{% elif decision == "rejected" %}
Decision: rejected. It stays hidden.
{% elif decision %}
Decision: {{ decision }}
{% endif %}
{% if reason %}
Reason: {{ reason }}
{% endif %}
{% if ground_name %}
Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
You may appeal until {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>Your content{% if content_type %} ({{ content_type }}){% endif %} was reviewed by a moderator.</p>
{% if decision == "approved" %}
<p>Decision: <strong>approved</strong>. It is visible again.</p>
{% elif decision == "rejected" %}
<p>Decision: <strong>rejected</strong>. It stays hidden.</p>
{% elif decision %}
<p>Decision: <strong>{{ decision }}</strong></p>
{% endif %}
{% if reason %}
<p>Reason: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>You may appeal until <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static EN_DETECTION: Builtin = Builtin {
    subject: "Pattern detected{% if pattern %}: {{ pattern }}{% endif %}",
    text: text_en!(
        r#"A behaviour pattern{% if pattern %} ({{ pattern }}){% endif %} was detected{% if target_user %} for user {% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}{% endif %}.
{% if action %}
Action taken: {{ action }}
{% endif %}
{% if reason %}
Details: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>A behaviour pattern{% if pattern %} (<strong>{{ pattern }}</strong>){% endif %} was detected{% if target_user %} for user <strong>{% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}</strong>{% endif %}.</p>
{% if action %}
<p>Action taken: {{ action }}</p>
{% endif %}
{% if reason %}
<p>Details: {{ reason }}</p>
{% endif %}
"#
    ),
};

static EN_APPEAL_DECIDED: Builtin = Builtin {
    subject: "Your appeal has been decided",
    text: text_en!(
        r#"{% if decision == "overturned" %}
Your appeal was accepted: the violation was overturned and its consequences were reverted.
{% elif decision == "upheld" %}
Your appeal was reviewed and the original decision stands.
{% else %}
Your appeal was decided{% if decision %}: {{ decision }}{% endif %}.
{% endif %}
{% if reason %}
Moderator's note: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"{% if decision == "overturned" %}
<p>Your appeal was <strong>accepted</strong>: the violation was overturned and its consequences were reverted.</p>
{% elif decision == "upheld" %}
<p>Your appeal was reviewed and the original decision <strong>stands</strong>.</p>
{% else %}
<p>Your appeal was decided{% if decision %}: <strong>{{ decision }}</strong>{% endif %}.</p>
{% endif %}
{% if reason %}
<p>Moderator's note: {{ reason }}</p>
{% endif %}
"#
    ),
};

static EN_RATE_LIMIT_ABUSE: Builtin = Builtin {
    subject: "Unusual request volume detected",
    text: text_en!(
        r#"An unusual volume of requests was detected{% if target_user %} from {% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}{% endif %}.
{% if action %}
Action taken: {{ action }}
{% endif %}
{% if until %}
Requests are limited until {{ until }}.
{% endif %}
{% if reason %}
Details: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>An unusual volume of requests was detected{% if target_user %} from <strong>{% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}</strong>{% endif %}.</p>
{% if action %}
<p>Action taken: {{ action }}</p>
{% endif %}
{% if until %}
<p>Requests are limited until <strong>{{ until }}</strong>.</p>
{% endif %}
{% if reason %}
<p>Details: {{ reason }}</p>
{% endif %}
"#
    ),
};

static EN_VERIFICATION_CODE: Builtin = Builtin {
    subject: "Your verification code",
    text: text_en!(
        r#"Your verification code is {{ code }}.
{% if expires_minutes %}
It expires in {{ expires_minutes }} minutes.
{% endif %}
If you did not ask for it, ignore this message.
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>Your verification code is:</p>
<p style="font-size:24px;font-weight:bold;letter-spacing:4px;">{{ code }}</p>
{% if expires_minutes %}
<p>It expires in {{ expires_minutes }} minutes.</p>
{% endif %}
<p>If you did not ask for it, ignore this message.</p>
"#
    ),
};

static EN_TRUST_LEVEL_CHANGED: Builtin = Builtin {
    subject: "Your seller trust level is now {{ to }}",
    text: text_en!(
        r#"Your seller trust level {% if direction == "down" %}was lowered{% else %}was raised{% endif %}{% if from %} from {{ from }}{% endif %} to {{ to }}.
{% if reason %}
Reason: {{ reason }}
{% endif %}
{% if ground_name %}
Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
You may appeal until {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
Your listing limit and the features you can use follow the new level.
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>Your seller trust level {% if direction == "down" %}was lowered{% else %}was raised{% endif %}{% if from %} from {{ from }}{% endif %} to <strong>{{ to }}</strong>.</p>
{% if reason %}
<p>Reason: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>You may appeal until <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
<p>Your listing limit and the features you can use follow the new level.</p>
"#
    ),
};

static EN_TRUST_DEMOTION_WARNING: Builtin = Builtin {
    subject: "Your seller trust level {{ level }} is at risk",
    text: text_en!(
        r#"Your trust score{% if score %} ({{ score }}){% endif %} is below the {{ threshold }} that trust level {{ level }} needs.
If it is still below on {{ due }}, your store will move down a level.
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>Your trust score{% if score %} ({{ score }}){% endif %} is below the {{ threshold }} that trust level {{ level }} needs.</p>
<p>If it is still below on <strong>{{ due }}</strong>, your store will move down a level.</p>
"#
    ),
};

static EN_STATEMENT_OF_REASONS: Builtin = Builtin {
    subject: "Statement of reasons: {{ decision }}",
    text: text_en!(
        r#"This is the statement of reasons for a decision about your {% if decision in ["warning", "temporary_ban", "permanent_ban", "demoted", "listing_limited"] %}account{% else %}content{% endif %}.
Decision: {{ decision }}{% if until %} (until {{ until }}){% endif %}
Ground: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% if automated %}
This decision was taken by automated means.
{% else %}
This decision was taken by a person.
{% endif %}
{% if appeal_url %}
You may appeal until {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
The facts:
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>This is the statement of reasons for a decision about your {% if decision in ["warning", "temporary_ban", "permanent_ban", "demoted", "listing_limited"] %}account{% else %}content{% endif %}.</p>
<p><strong>Decision:</strong> {{ decision }}{% if until %} (until {{ until }}){% endif %}</p>
<p><strong>Ground:</strong> {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
<p>{% if automated %}This decision was taken by automated means.{% else %}This decision was taken by a person.{% endif %}</p>
{% if appeal_url %}
<p>You may appeal until <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
<p>The facts:</p>
"#
    ),
};

static EN_REPORT_DECIDED: Builtin = Builtin {
    subject: "Your report was {% if outcome == \"upheld\" %}upheld{% elif outcome == \"dismissed\" %}dismissed{% else %}decided{% endif %}",
    text: text_en!(
        r#"Thank you for your report{% if target_type %} of a {{ target_type }}{% endif %}{% if category %} ({{ category }}){% endif %}.
{% if outcome == "upheld" %}
A moderator reviewed it and took action.
{% elif outcome == "dismissed" %}
A moderator reviewed it and found no breach of the rules, so no action was taken.
{% else %}
A moderator reviewed it.
{% endif %}
"#
    ),
    html: html!(
        "en",
        "Hello",
        r#"<p>Thank you for your report{% if target_type %} of a {{ target_type }}{% endif %}{% if category %} ({{ category }}){% endif %}.</p>
{% if outcome == "upheld" %}
<p>A moderator reviewed it and <strong>took action</strong>.</p>
{% elif outcome == "dismissed" %}
<p>A moderator reviewed it and found no breach of the rules, so <strong>no action</strong> was taken.</p>
{% else %}
<p>A moderator reviewed it.</p>
{% endif %}
"#
    ),
};

// ---------------------------------------------------------------- Spanish

static ES_VIOLATION_CREATED: Builtin = Builtin {
    subject: "Se registró una infracción en tu cuenta",
    text: text_es!(
        r#"Se registró una infracción de las normas en tu cuenta.
{% if action == "warning" %}
Es una advertencia: tu cuenta sigue activa.
{% elif action == "temporary_ban" %}
Tu cuenta ha sido suspendida{% if until %} hasta {{ until }}{% endif %}.
{% elif action == "permanent_ban" %}
Tu cuenta ha sido suspendida de forma permanente.
{% elif action %}
Medida tomada: {{ action }}
{% endif %}
{% if reason %}
Motivo: {{ reason }}
{% endif %}
{% if ground_name %}
Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
Puedes recurrir hasta el {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Se registró una infracción de las normas en tu cuenta.</p>
{% if action == "warning" %}
<p>Es una advertencia: tu cuenta sigue activa.</p>
{% elif action == "temporary_ban" %}
<p>Tu cuenta ha sido suspendida{% if until %} hasta <strong>{{ until }}</strong>{% endif %}.</p>
{% elif action == "permanent_ban" %}
<p>Tu cuenta ha sido <strong>suspendida de forma permanente</strong>.</p>
{% elif action %}
<p>Medida tomada: {{ action }}</p>
{% endif %}
{% if reason %}
<p>Motivo: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>Puedes recurrir hasta el <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static ES_BAN: Builtin = Builtin {
    subject: "Tu cuenta ha sido suspendida",
    text: text_es!(
        r#"{% if until %}
Tu cuenta ha sido suspendida hasta {{ until }}.
{% else %}
Tu cuenta ha sido suspendida de forma permanente.
{% endif %}
{% if reason %}
Motivo: {{ reason }}
{% endif %}
{% if ground_name %}
Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
Puedes recurrir hasta el {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"{% if until %}
<p>Tu cuenta ha sido suspendida hasta <strong>{{ until }}</strong>.</p>
{% else %}
<p>Tu cuenta ha sido <strong>suspendida de forma permanente</strong>.</p>
{% endif %}
{% if reason %}
<p>Motivo: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>Puedes recurrir hasta el <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static ES_BAN_LIFTED: Builtin = Builtin {
    subject: "Tu cuenta ha sido restablecida",
    text: text_es!(
        r#"La suspensión de tu cuenta ha terminado: puedes volver a usarla.
{% if reason %}
Motivo: {{ reason }}
{% endif %}
{% if ground_name %}
Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
Puedes recurrir hasta el {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>La suspensión de tu cuenta ha terminado: puedes volver a usarla.</p>
{% if reason %}
<p>Motivo: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>Puedes recurrir hasta el <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static ES_REVIEW_REQUESTED: Builtin = Builtin {
    subject: "Contenido pendiente de revisión{% if content_type %}: {{ content_type }}{% endif %}",
    text: text_es!(
        r#"Un elemento{% if content_type %} ({{ content_type }}){% endif %} necesita la revisión de un moderador.
{% if reason %}
Señalado por: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Un elemento{% if content_type %} (<strong>{{ content_type }}</strong>){% endif %} necesita la revisión de un moderador.</p>
{% if reason %}
<p>Señalado por: {{ reason }}</p>
{% endif %}
"#
    ),
};

static ES_REVIEW_DECIDED: Builtin = Builtin {
    subject: "Un moderador revisó tu contenido",
    text: text_es!(
        r#"Un moderador revisó tu contenido{% if content_type %} ({{ content_type }}){% endif %}.
{% if decision == "approved" %}
Decisión: aprobado. Vuelve a estar visible.
{% elif decision == "rejected" %}
Decisión: rechazado. Sigue oculto.
{% elif decision %}
Decisión: {{ decision }}
{% endif %}
{% if reason %}
Motivo: {{ reason }}
{% endif %}
{% if ground_name %}
Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
Puedes recurrir hasta el {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Un moderador revisó tu contenido{% if content_type %} ({{ content_type }}){% endif %}.</p>
{% if decision == "approved" %}
<p>Decisión: <strong>aprobado</strong>. Vuelve a estar visible.</p>
{% elif decision == "rejected" %}
<p>Decisión: <strong>rechazado</strong>. Sigue oculto.</p>
{% elif decision %}
<p>Decisión: <strong>{{ decision }}</strong></p>
{% endif %}
{% if reason %}
<p>Motivo: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>Puedes recurrir hasta el <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
"#
    ),
};

static ES_DETECTION: Builtin = Builtin {
    subject: "Patrón detectado{% if pattern %}: {{ pattern }}{% endif %}",
    text: text_es!(
        r#"Se detectó un patrón de comportamiento{% if pattern %} ({{ pattern }}){% endif %}{% if target_user %} del usuario {% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}{% endif %}.
{% if action %}
Medida tomada: {{ action }}
{% endif %}
{% if reason %}
Detalles: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Se detectó un patrón de comportamiento{% if pattern %} (<strong>{{ pattern }}</strong>){% endif %}{% if target_user %} del usuario <strong>{% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}</strong>{% endif %}.</p>
{% if action %}
<p>Medida tomada: {{ action }}</p>
{% endif %}
{% if reason %}
<p>Detalles: {{ reason }}</p>
{% endif %}
"#
    ),
};

static ES_APPEAL_DECIDED: Builtin = Builtin {
    subject: "Tu apelación ha sido resuelta",
    text: text_es!(
        r#"{% if decision == "overturned" %}
Tu apelación fue aceptada: la infracción fue anulada y sus consecuencias revertidas.
{% elif decision == "upheld" %}
Tu apelación fue revisada y la decisión original se mantiene.
{% else %}
Tu apelación fue resuelta{% if decision %}: {{ decision }}{% endif %}.
{% endif %}
{% if reason %}
Nota del moderador: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"{% if decision == "overturned" %}
<p>Tu apelación fue <strong>aceptada</strong>: la infracción fue anulada y sus consecuencias revertidas.</p>
{% elif decision == "upheld" %}
<p>Tu apelación fue revisada y la decisión original <strong>se mantiene</strong>.</p>
{% else %}
<p>Tu apelación fue resuelta{% if decision %}: <strong>{{ decision }}</strong>{% endif %}.</p>
{% endif %}
{% if reason %}
<p>Nota del moderador: {{ reason }}</p>
{% endif %}
"#
    ),
};

static ES_RATE_LIMIT_ABUSE: Builtin = Builtin {
    subject: "Se detectó un volumen inusual de solicitudes",
    text: text_es!(
        r#"Se detectó un volumen inusual de solicitudes{% if target_user %} de {% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}{% endif %}.
{% if action %}
Medida tomada: {{ action }}
{% endif %}
{% if until %}
Las solicitudes están limitadas hasta {{ until }}.
{% endif %}
{% if reason %}
Detalles: {{ reason }}
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Se detectó un volumen inusual de solicitudes{% if target_user %} de <strong>{% if target_user_name %}{{ target_user_name }}{% else %}{{ target_user }}{% endif %}</strong>{% endif %}.</p>
{% if action %}
<p>Medida tomada: {{ action }}</p>
{% endif %}
{% if until %}
<p>Las solicitudes están limitadas hasta <strong>{{ until }}</strong>.</p>
{% endif %}
{% if reason %}
<p>Detalles: {{ reason }}</p>
{% endif %}
"#
    ),
};

static ES_VERIFICATION_CODE: Builtin = Builtin {
    subject: "Tu código de verificación",
    text: text_es!(
        r#"Tu código de verificación es {{ code }}.
{% if expires_minutes %}
Caduca en {{ expires_minutes }} minutos.
{% endif %}
Si no lo solicitaste, ignora este mensaje.
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Tu código de verificación es:</p>
<p style="font-size:24px;font-weight:bold;letter-spacing:4px;">{{ code }}</p>
{% if expires_minutes %}
<p>Caduca en {{ expires_minutes }} minutos.</p>
{% endif %}
<p>Si no lo solicitaste, ignora este mensaje.</p>
"#
    ),
};

static ES_TRUST_LEVEL_CHANGED: Builtin = Builtin {
    subject: "Tu nivel de confianza de vendedor ahora es {{ to }}",
    text: text_es!(
        r#"Tu nivel de confianza de vendedor {% if direction == "down" %}bajó{% else %}subió{% endif %}{% if from %} de {{ from }}{% endif %} a {{ to }}.
{% if reason %}
Motivo: {{ reason }}
{% endif %}
{% if ground_name %}
Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% endif %}
{% if appeal_url %}
Puedes recurrir hasta el {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
Tu límite de publicaciones y las funciones disponibles siguen al nuevo nivel.
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Tu nivel de confianza de vendedor {% if direction == "down" %}bajó{% else %}subió{% endif %}{% if from %} de {{ from }}{% endif %} a <strong>{{ to }}</strong>.</p>
{% if reason %}
<p>Motivo: {{ reason }}</p>
{% endif %}
{% if ground_name %}
<p>Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
{% endif %}
{% if appeal_url %}
<p>Puedes recurrir hasta el <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
<p>Tu límite de publicaciones y las funciones disponibles siguen al nuevo nivel.</p>
"#
    ),
};

static ES_TRUST_DEMOTION_WARNING: Builtin = Builtin {
    subject: "Tu nivel de confianza {{ level }} está en riesgo",
    text: text_es!(
        r#"Tu puntuación de confianza{% if score %} ({{ score }}){% endif %} está por debajo del {{ threshold }} que necesita el nivel {{ level }}.
Si sigue por debajo el {{ due }}, tu tienda bajará un nivel.
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Tu puntuación de confianza{% if score %} ({{ score }}){% endif %} está por debajo del {{ threshold }} que necesita el nivel {{ level }}.</p>
<p>Si sigue por debajo el <strong>{{ due }}</strong>, tu tienda bajará un nivel.</p>
"#
    ),
};

static ES_STATEMENT_OF_REASONS: Builtin = Builtin {
    subject: "Exposición de motivos de una decisión de moderación",
    text: text_es!(
        r#"Esta es la exposición de motivos de una decisión sobre tu {% if decision in ["warning", "temporary_ban", "permanent_ban", "demoted", "listing_limited"] %}cuenta{% else %}contenido{% endif %}.
Decisión: {% if decision == "content_held" %}contenido retenido para revisión{% elif decision == "warning" %}advertencia{% elif decision == "temporary_ban" %}suspensión temporal{% elif decision == "permanent_ban" %}suspensión permanente{% elif decision == "listing_limited" %}publicación rechazada{% elif decision == "changes_requested" %}cambios solicitados{% elif decision == "demoted" %}nivel de confianza rebajado{% else %}{{ decision }}{% endif %}{% if until %} (hasta {{ until }}){% endif %}
Fundamento: {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}
{% if automated %}
Esta decisión se tomó por medios automatizados.
{% else %}
Esta decisión la tomó una persona.
{% endif %}
{% if appeal_url %}
Puedes recurrirla hasta el {{ appeal_deadline }}: {{ appeal_url }}
{% endif %}
Los hechos:
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Esta es la exposición de motivos de una decisión sobre tu {% if decision in ["warning", "temporary_ban", "permanent_ban", "demoted", "listing_limited"] %}cuenta{% else %}contenido{% endif %}.</p>
<p><strong>Decisión:</strong> {% if decision == "content_held" %}contenido retenido para revisión{% elif decision == "warning" %}advertencia{% elif decision == "temporary_ban" %}suspensión temporal{% elif decision == "permanent_ban" %}suspensión permanente{% elif decision == "listing_limited" %}publicación rechazada{% elif decision == "changes_requested" %}cambios solicitados{% elif decision == "demoted" %}nivel de confianza rebajado{% else %}{{ decision }}{% endif %}{% if until %} (hasta {{ until }}){% endif %}</p>
<p><strong>Fundamento:</strong> {{ ground_name }}{% if ground_text and ground_text != reason %}: {{ ground_text }}{% endif %}</p>
<p>{% if automated %}Esta decisión se tomó por medios automatizados.{% else %}Esta decisión la tomó una persona.{% endif %}</p>
{% if appeal_url %}
<p>Puedes recurrirla hasta el <strong>{{ appeal_deadline }}</strong>: {{ appeal_url }}</p>
{% endif %}
<p>Los hechos:</p>
"#
    ),
};

static ES_REPORT_DECIDED: Builtin = Builtin {
    subject: "Tu denuncia fue {% if outcome == \"upheld\" %}aceptada{% elif outcome == \"dismissed\" %}desestimada{% else %}resuelta{% endif %}",
    text: text_es!(
        r#"Gracias por tu denuncia{% if target_type %} ({{ target_type }}){% endif %}{% if category %}, motivo: {{ category }}{% endif %}.
{% if outcome == "upheld" %}
Un moderador la revisó y tomó medidas.
{% elif outcome == "dismissed" %}
Un moderador la revisó y no encontró ninguna infracción de las normas, así que no se tomaron medidas.
{% else %}
Un moderador la revisó.
{% endif %}
"#
    ),
    html: html!(
        "es",
        "Hola",
        r#"<p>Gracias por tu denuncia{% if target_type %} ({{ target_type }}){% endif %}{% if category %}, motivo: {{ category }}{% endif %}.</p>
{% if outcome == "upheld" %}
<p>Un moderador la revisó y <strong>tomó medidas</strong>.</p>
{% elif outcome == "dismissed" %}
<p>Un moderador la revisó y no encontró ninguna infracción de las normas, así que <strong>no se tomaron medidas</strong>.</p>
{% else %}
<p>Un moderador la revisó.</p>
{% endif %}
"#
    ),
};
