"""Local carriers (ヤマト運輸 B2クラウド, 佐川急便 e飛伝, 日本郵便 ゆうプリR) for tests and demos."""
