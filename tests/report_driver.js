<script>
// Appended to a copy of results/report.html by tests/test_report_browser.py: opens every result of every
// category of the report, as a reader would, and appends a record of what the page then showed (JSON).
window.addEventListener("load", () => setTimeout(async () => {
  const pause = (ms) => new Promise(resolve => setTimeout(resolve, ms));
  const link = (text) => [...document.querySelectorAll("nav a")].find(a => a.textContent.trim() === text);
  const shown = {};
  try {
    const items = [...document.querySelectorAll("nav li")];
    const start = items.findIndex(li => li.textContent.trim() === "Results");
    for (const category of items.slice(start + 1).map(li => li.textContent.trim())) {
      if (!link(category)) { link("Results").click(); await pause(300); }
      link(category).click();
      await pause(300);
      shown[category] = {};
      const names = [...document.querySelectorAll("nav table tbody tr td:first-child")].map(td => td.textContent.trim());
      for (const name of names) {
        const row = [...document.querySelectorAll("nav table tbody tr")]
          .find(r => r.querySelector("td").textContent.trim() === name);
        row.querySelector("a[iconname=eye]").click();
        await pause(800);
        const main = document.querySelector("nav").nextElementSibling;
        shown[category][name] = {
          images: [...main.querySelectorAll("img")].filter(i => i.complete && i.naturalWidth > 0)
            .map(i => ({width: i.naturalWidth, height: i.naturalHeight, src: i.getAttribute("src").slice(0, 80)})),
          frames: [...main.querySelectorAll("iframe")].map(f => f.getAttribute("src") || ""),
        };
      }
    }
  } catch (error) {
    shown.error = String(error);
  }
  const out = document.createElement("pre");
  out.id = "neuralmi-check";
  out.textContent = JSON.stringify(shown);
  document.body.appendChild(out);
}, 500));
</script>
