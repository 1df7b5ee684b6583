//! Durations written as string literals (`"150ms"`, `"2s"`, `"5m"`,
//! `"1h"`), parsed at compile time.

use std::time::Duration;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::LitStr;

/// Parses the duration in `lit`; a malformed one is an error on `lit`.
pub(crate) fn parse(lit: &LitStr) -> syn::Result<Duration> {
    let text = lit.value();
    parse_str(&text).ok_or_else(|| {
        syn::Error::new(
            lit.span(),
            format!(
                "`{text}` is not a duration: write a whole number followed by `ms`, `s`, `m` or `h`, e.g. \"150ms\", \"2s\", \"5m\", \"1h\""
            ),
        )
    })
}

/// `<digits><unit>` with unit `ms`, `s`, `m` or `h`; `None` when malformed
/// or too large.
fn parse_str(text: &str) -> Option<Duration> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    if unit_at == 0 {
        return None;
    }
    let (number, unit) = text.split_at(unit_at);
    let number: u64 = number.parse().ok()?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => None,
    }?;
    Some(Duration::from_millis(millis))
}

/// The expression building `duration` at run time.
pub(crate) fn tokens(duration: Duration) -> TokenStream {
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis % 1_000 == 0 {
        let secs = Literal::u64_unsuffixed(millis / 1_000);
        quote!(::integrate::__private::Duration::from_secs(#secs))
    } else {
        let millis = Literal::u64_unsuffixed(millis);
        quote!(::integrate::__private::Duration::from_millis(#millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_str("150ms"), Some(Duration::from_millis(150)));
        assert_eq!(parse_str("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_str("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_str("1h"), Some(Duration::from_secs(3_600)));
        assert_eq!(parse_str("0s"), Some(Duration::ZERO));
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "s",
            "10",
            "1.5s",
            "2 s",
            "2sec",
            "-1s",
            "2S",
            "ms10",
            "99999999999999999999h",
        ] {
            assert_eq!(parse_str(bad), None, "{bad}");
        }
    }
}
