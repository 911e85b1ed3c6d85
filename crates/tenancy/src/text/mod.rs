//! Checks of client text that several domains share: which control
//! characters text may hold, which invisible characters titles refuse, and
//! the one text a titled piece of content is judged by. Pure functions over
//! `str`, so every crate that takes text can use them without depending on
//! the one that analyses it.

pub mod input;
pub mod invisible;

/// The text moderated for a product (title and description) or a seller
/// profile (store name and description).
pub fn title_and_description(title: &str, description: &str) -> String {
    if description.is_empty() {
        title.to_owned()
    } else {
        format!("{title}\n{description}")
    }
}
