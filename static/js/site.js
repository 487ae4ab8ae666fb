/* Small enhancements; every page works without this file.
   - 字号 links switch the size in place (the links themselves set the cookie without JS).
   - "打印本页" opens the print dialog. */
;(() => {
  const COOKIE = "fontsize"
  const YEAR = 365 * 24 * 3600

  document.addEventListener("click", (event) => {
    const sizeLink = event.target.closest("a[data-font-size]")
    if (sizeLink) {
      event.preventDefault()
      const size = sizeLink.dataset.fontSize
      const secure = location.protocol === "https:" ? "; Secure" : ""
      document.cookie = `${COOKIE}=${size}; Max-Age=${YEAR}; Path=/; SameSite=Lax${secure}`
      document.body.className = document.body.className.replace(/\bfont-\w+/, `font-${size}`)
      for (const link of document.querySelectorAll("a[data-font-size]")) {
        if (link.dataset.fontSize === size) link.setAttribute("aria-current", "true")
        else link.removeAttribute("aria-current")
      }
      return
    }
    if (event.target.closest("a[data-print]")) {
      event.preventDefault()
      window.print()
    }
  })
})()
