"use strict";
// A link like /login#token=... signs in without the token ever reaching a server log.
document.addEventListener("DOMContentLoaded", () => {
  const match = /^#token=(.+)$/.exec(window.location.hash);
  if (match) {
    document.getElementById("token").value = decodeURIComponent(match[1]);
    history.replaceState(null, "", "/login");
    document.getElementById("login").submit();
  }
});
