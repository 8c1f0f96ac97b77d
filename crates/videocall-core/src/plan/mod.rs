//! The plan of a call: pure values computed from the configuration before any element exists.
//! `build` is the only code that turns them into elements.

pub mod echo;
pub mod fec;
pub mod media;
pub mod names;
pub mod peer;
pub mod rate;
pub mod record;
pub mod red;
pub mod rtx;
pub mod session;
pub mod window;

/// One element to create: its factory, its name in the pipeline and its properties, each given
/// as the string GStreamer would parse (so enums and caps need no special casing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementSpec {
    pub factory: &'static str,
    pub name: String,
    pub props: Vec<(&'static str, String)>,
}

impl ElementSpec {
    pub(crate) fn new(factory: &'static str, name: impl Into<String>) -> Self {
        ElementSpec {
            factory,
            name: name.into(),
            props: Vec::new(),
        }
    }

    pub(crate) fn prop(mut self, key: &'static str, value: impl ToString) -> Self {
        self.props.push((key, value.to_string()));
        self
    }

    /// The value planned for property `key`, if any.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}
