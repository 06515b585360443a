// "Copy citation": puts a turn's citation on the clipboard; without clipboard access it selects the text to copy by hand.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) return;
  var text = button.getAttribute("data-citation");
  var said = button.parentNode.querySelector(".cited");
  function shown(message) {
    if (said) { said.textContent = message; said.classList.remove("visually-hidden"); }
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { shown("Copied: " + text); },
                                             function () { shown(text); });
  } else {
    shown(text);
  }
});
