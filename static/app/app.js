// Progressive enhancement only: every journey works without this file.
// Loaded as <script type="module">, so browsers too old for GOV.UK Frontend skip it, matching
// the `govuk-frontend-supported` class set by the inline script in templates/base.html.
// The import is relative so it survives a different STATIC_URL (whitenoise keeps the unhashed
// copy of govuk-frontend.min.js next to the hashed one).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
