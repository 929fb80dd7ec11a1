/**
 * JSX types for htmx 4 attributes: `hx-get`, `hx-target:inherited`, `hx-sse:connect`,
 * `hx-status:422`… (htmx 4 puts modifiers after a colon, so a template key covers them all).
 */
declare namespace JSX {
  interface HtmlTag {
    [attribute: `hx-${string}`]: string | boolean | undefined
  }
  interface IntrinsicElements {
    'hx-partial': HtmlTag
  }
}
