//! Stored text and parsing of plain enums, shared by the domain crates.

/// Implements, for a plain enum, `ALL` (every value), `as_str` (the stored
/// text), `parse` (stored or requested text; unknown text is refused with
/// `$error::invalid(message)`, so `$error` needs an `invalid` constructor, as
/// [`rejection_constructors!`](crate::rejection_constructors) gives)
/// and `Display` (the stored text).
///
/// ```ignore
/// warden_tenancy::text_enum!(Channel, NotificationError, { InApp => "in_app", Email => "email" });
/// ```
#[macro_export]
macro_rules! text_enum {
    ($name:ident, $error:ident, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stored text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses stored or requested text.
            pub fn parse(s: &str) -> Result<Self, $error> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($error::invalid(format!(
                        "{}: unknown value {other:?} (one of {})",
                        stringify!($name),
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
