/* CKEditor uploads go to the project's own endpoint: send Django's CSRF token with them and
   show the server's Chinese message when an image is refused. */
;(() => {
  if (!window.CKEDITOR) return

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]")
    return field ? field.value : ""
  }

  window.CKEDITOR.on("instanceCreated", (event) => {
    event.editor.on("fileUploadRequest", (upload) => {
      const loader = upload.data.fileLoader
      loader.xhr.setRequestHeader("X-CSRFToken", csrfToken())
      loader.xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest")
      loader.on(
        "error",
        () => {
          try {
            const reply = JSON.parse(loader.xhr.responseText)
            if (reply.error && reply.error.message) loader.message = reply.error.message
          } catch (ignored) {
            /* not our JSON: keep CKEditor's own message */
          }
        },
        null,
        null,
        1,
      )
    })
  })
})()
