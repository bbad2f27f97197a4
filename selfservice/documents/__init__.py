"""Documents the app prints: PDF receipts and letters (fpdf2, with the CJK font embedded)."""
