"""Clinical knowledge, as plain Python: the symptom catalog and its plain-language synonyms, the
red-flag rules, the scales, the conditions and the emergency numbers.

No models and no imports from the apps: every layer (patients, infusions, diary, reports) may
use it, so the infusion form and the diary judge the same signs the same way. Each rule carries
its source, so a clinician can review it here, in one place (architecture.md, clinical.md).
"""
