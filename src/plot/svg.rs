//! The pieces every SVG plot of the crate shares: text escaping and the document skeleton.
//!
//! ```
//! use metapool::plot::svg::{escape, Document};
//! let doc = Document::new(200.0, 100.0, 12.0);
//! let svg = doc.render(Some("A & B"), &format!("<text x=\"10\" y=\"20\">{}</text>\n", escape("<1>")));
//! assert!(svg.starts_with("<?xml") && svg.contains("&lt;1&gt;") && svg.ends_with("</svg>\n"));
//! ```

/// Escape text for SVG/XML content and attribute values: `& < > " '` become entities, and
/// control characters (not allowed in XML 1.0) become spaces.
///
/// ```
/// assert_eq!(metapool::plot::svg::escape("a<b & \"c\" 'd'\t"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39; ");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A standalone SVG document: size in pixels, the base font (Helvetica, Arial, sans-serif) and
/// size, a white background.
///
/// ```
/// use metapool::plot::svg::Document;
/// let svg = Document::new(320.0, 200.0, 12.0).render(None, "");
/// assert!(svg.contains("width=\"320\"") && svg.contains("height=\"200\""));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Document {
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Base font size in pixels.
    pub font_size: f64,
}

impl Document {
    /// A document of `width` x `height` pixels with text at `font_size` pixels.
    ///
    /// ```
    /// use metapool::plot::svg::Document;
    /// let d = Document::new(640.0, 480.0, 13.0);
    /// assert_eq!((d.width, d.height, d.font_size), (640.0, 480.0, 13.0));
    /// ```
    pub fn new(width: f64, height: f64, font_size: f64) -> Document {
        Document {
            width,
            height,
            font_size,
        }
    }

    /// The document around `body` (SVG elements, one a line): the XML declaration, the `<svg>`
    /// element with its size and font, a `<title>` when given (escaped here), the white
    /// background, `body`, and the closing tag.
    ///
    /// ```
    /// use metapool::plot::svg::Document;
    /// let svg = Document::new(200.0, 100.0, 12.0).render(Some("BCG <RR>"), "<line x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\"/>\n");
    /// assert!(svg.contains("<title>BCG &lt;RR&gt;</title>"));
    /// assert_eq!(svg.matches("<line").count(), 1);
    /// ```
    pub fn render(&self, title: Option<&str>, body: &str) -> String {
        let (w, h, f) = (self.width, self.height, self.font_size);
        let mut s = String::with_capacity(body.len() + 400);
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.push_str(&format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"{f}\">\n"
        ));
        if let Some(t) = title {
            s.push_str(&format!("<title>{}</title>\n", escape(t)));
        }
        s.push_str(&format!(
            "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
        ));
        s.push_str(body);
        s.push_str("</svg>\n");
        s
    }
}
