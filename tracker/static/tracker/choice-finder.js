'use strict';
// A long list of checkboxes (the explorer's actors: hundreds at scale) gets a box that
// narrows it as one types a name or a code; the line under it naming what is ticked
// (a ticked actor may be scrolled out of sight) follows each tick. Enter ticks the one
// match left, instead of sending the form half-made. Without this script the list
// still works: it scrolls, the page names what is ticked, and the browser's find
// reaches every name (tracker.filters.ChoiceList).
{
    // Lower case without accents, so "cote" finds "Côte d'Ivoire".
    const plain = (text) => text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().trim();

    function nameOf(item) {
        const name = item.querySelector('.choice-name');
        const code = item.querySelector('.code');
        return code ? `${name.textContent} (${code.textContent})` : name.textContent;
    }

    function enhance(list, index) {
        const items = Array.from(list.children);
        const box = document.createElement('input');
        box.type = 'search';
        box.className = 'finder';
        box.autocomplete = 'off';
        box.placeholder = 'Type a name or code';
        box.setAttribute('aria-label', `${list.dataset.finder}: type a name or code`);
        if (!list.id) {
            list.id = `choice-list-${index}`;
        }
        box.setAttribute('aria-controls', list.id);
        const status = document.createElement('p');
        status.className = 'finder-status muted';
        status.setAttribute('aria-live', 'polite');
        // The line the page drew, saying what is ticked, kept up to date here.
        const chosen = list.parentElement.querySelector('p.chosen');
        list.before(box);
        list.after(status);

        const matching = () => {
            const wanted = plain(box.value);
            return items.filter((item) => !wanted || plain(item.textContent).includes(wanted));
        };

        function narrow() {
            const found = new Set(matching());
            items.forEach((item) => {
                item.hidden = !found.has(item) && !item.querySelector('input').checked;
            });
            if (!box.value.trim()) {
                status.textContent = '';
            } else if (found.size === 0) {
                status.textContent = `Nothing matches “${box.value.trim()}”.`;
            } else {
                status.textContent = `${found.size} of ${items.length} match.`;
            }
        }

        function showChosen() {
            const names = items.filter((item) => item.querySelector('input').checked).map(nameOf);
            chosen.textContent = names.length ? `Chosen: ${names.join(', ')}` : '';
        }

        box.addEventListener('input', narrow);
        box.addEventListener('keydown', (event) => {
            if (event.key === 'Escape' && box.value) {
                event.preventDefault();
                box.value = '';
                narrow();
            } else if (event.key === 'Enter') {
                event.preventDefault();
                const open = matching().filter((item) => !item.querySelector('input').checked);
                if (box.value.trim() && open.length === 1) {
                    open[0].querySelector('input').checked = true;
                    box.value = '';
                    narrow();
                    showChosen();
                    status.textContent = `${nameOf(open[0])} ticked.`;
                }
            }
        });
        // Not narrowed again on a tick: the box just unticked stays where it was clicked.
        list.addEventListener('change', showChosen);
    }

    document.querySelectorAll('ul.choice-list[data-finder]').forEach(enhance);
}
