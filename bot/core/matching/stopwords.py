"""Stopwords of English, Dutch, French and German, accent-folded and casefolded.

Negations ("not", "niet", "pas", "nicht", "never", ...) are kept out on purpose: a
denial and an affirmation differ by them, and the matcher should be able to see it.
"""

from __future__ import annotations

_EN = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
yourselves also its it's i'm we're they're said says say via amp rt us
"""

_NL = """
aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door
dus een eens en er ge geweest haar had heb hebben heeft hem het hier hij hoe hun iemand
iets ik in is ja je jou jouw jullie kan kon kunnen maar me meer men met mij mijn moet na
naar nog nu of om omdat onder ons ook op over reeds te tegen toch toen tot u uit uw van
veel voor want waren was wat werd wezen wie wil worden wordt zal ze zelf zich zij zijn zo
zonder zou volgens aldus heeft hebben werden zei zegt
"""

_FR = """
a au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me
meme mes moi mon ne nos notre nous on ou par pour qu que qui sa se ses son sur ta te tes
toi ton tu un une vos votre vous c d j l m n s t y ete etee etees etes etant suis es est
sommes etes sont serai sera serons seront serais serait etais etait etions etiez etaient
fus fut ai as avons avez ont aurai aura avais avait avaient eu cet cette ceux celle celui
dont ainsi selon lors alors aussi donc car comme leurs deja
"""

_DE = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
anderes auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine
dem den denn der des desselben dessen dich die dies diese dieselbe diesem diesen dieser
dieses dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer
eure fur gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen
ihr ihre im in indem ins ist jede jedem jeden jeder jedes jene jetzt kann konnen mich
mein meine mit muss musste nach nun nur ob oder ohne sehr sein seine selbst sich sie
sind so solche soll sollte sondern sonst uber um und uns unser unter vom von vor wahrend
war waren warst was weil welche wenn werde werden wie wieder will wir wird wo wollen
worden wurde wurden zu zum zur zwar zwischen laut sagte erklarte
"""

STOPWORDS: frozenset[str] = frozenset((_EN + _NL + _FR + _DE).split())
