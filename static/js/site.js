/* Small enhancements; every page works without this file.
   - 字号 links and the 关怀模式 switch change the page in place (the links themselves set the
     cookie and come back to the page without JS). 简/繁 needs the server and stays a link.
   - "打印本页" opens the print dialog. */
;(() => {
  const YEAR = 365 * 24 * 3600

  const remember = (cookie, value) => {
    const secure = location.protocol === "https:" ? "; Secure" : ""
    document.cookie = `${cookie}=${value}; Max-Age=${YEAR}; Path=/; SameSite=Lax${secure}`
  }

  const setFontSize = (size) => {
    remember("fontsize", size)
    document.body.className = document.body.className.replace(/\bfont-\w+/, `font-${size}`)
    for (const link of document.querySelectorAll("a[data-font-size]")) {
      if (link.dataset.fontSize === size) link.setAttribute("aria-current", "true")
      else link.removeAttribute("aria-current")
    }
  }

  const setCareMode = (value, clicked) => {
    remember("care", value)
    document.body.classList.toggle("care-mode", value === "on")
    for (const link of document.querySelectorAll("a[data-care]")) {
      link.hidden = link.dataset.care === value
    }
    // The link just used is hidden now: keep the keyboard on the one that replaced it.
    const other = clicked.parentElement.querySelector("a[data-care]:not([hidden])")
    if (other) other.focus()
  }

  document.addEventListener("click", (event) => {
    const sizeLink = event.target.closest("a[data-font-size]")
    if (sizeLink) {
      event.preventDefault()
      setFontSize(sizeLink.dataset.fontSize)
      return
    }
    const careLink = event.target.closest("a[data-care]")
    if (careLink) {
      event.preventDefault()
      setCareMode(careLink.dataset.care, careLink)
      return
    }
    if (event.target.closest("a[data-print]")) {
      event.preventDefault()
      window.print()
    }
  })
})()
