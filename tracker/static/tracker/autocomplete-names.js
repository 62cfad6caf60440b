'use strict';
// Select2, which draws the admin's autocomplete fields, names its combo box by the
// choice shown (nothing while none is chosen) and its search box not at all, so a
// screen reader says "combo box" without saying for what (WCAG 4.1.2). Name both
// after the field: its label on a form, its column (the select's aria-label) inline.
// Runs after Django's autocomplete.js has drawn the boxes (this file loads after it).
{
    const $ = django.jQuery;

    function fieldName(select) {
        const label = select.id && document.querySelector(`label[for="${select.id}"]`);
        const text = label ? label.textContent : select.getAttribute('aria-label') || '';
        return text.replace(/:\s*$/, '').trim();
    }

    function nameBoxes(root) {
        $(root).find('select.admin-autocomplete').not('[name*=__prefix__]').each((i, select) => {
            const name = fieldName(select);
            const drawn = select.nextElementSibling;
            if (!name || !drawn || !drawn.classList.contains('select2')) {
                return;
            }
            const combobox = drawn.querySelector('[role=combobox]');
            if (combobox) {
                // The chosen value stays what the box holds; its name is the field.
                combobox.removeAttribute('aria-labelledby');
                combobox.setAttribute('aria-label', name);
            }
            // The read-only text box that shows the choice, and the search box.
            drawn.querySelectorAll('.select2-selection__rendered[role=textbox], .select2-search__field')
                .forEach((box) => box.setAttribute('aria-label', name));
        });
    }

    $(() => nameBoxes(document));
    document.addEventListener('formset:added', (event) => nameBoxes(event.target));
    // A multiple choice draws its search box again after each change.
    $(document).on('select2:select select2:unselect', 'select.admin-autocomplete', (event) => {
        nameBoxes(event.target.parentElement);
    });
}
