# language: zh-CN
功能: 未成年人

  场景: 表格缺竖线
    假如 规则集 "tests/fixtures/testcity/testcounty"
    而且 案件：
      | 字段 | 值
      | 事项 | ZJ-SR-32-34 |
    当 评估该案件
