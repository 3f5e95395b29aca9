# language: zh-CN
@规则集编写
功能: 规则集草稿的编写错误在加载时报告，指明错误代码与行号
  审阅人员可以把一段规则草稿贴进场景（假如 规则集草稿：），检查它能否加载、错在哪一行。
  错误信息以“文件:行:列: error[代码]: 说明”开头，附源码摘录与修改提示。行号从草稿第一行算起。

  场景: 一份正确的草稿可以加载
    假如 规则集草稿：
      """
      ruleset "正确草稿" extends "zhejiang" effective 2023-01-01
      county 己县
      agency 己县综合行政执法局 level county kind comprehensive serves 己县 handles category comprehensive
      """
    当 加载该规则集
    那么 规则集加载成功

  场景: 条件中写错事实名称，报告未知事实并给出相近的名称
    假如 规则集草稿：
      """
      ruleset "错字草稿" extends "zhejiang" effective 2023-01-01
      county 己县
      agency 己县综合行政执法局 level county kind comprehensive serves 己县 handles category comprehensive
      rule JX-1 "测试规则"
        basis "测试"
        when facts.面机 >= 10
        then flag LEGAL_REVIEW
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "unknown-fact"，位于第 6 行
    而且 加载错误信息包含 "面积"

  场景: 用“=”比较，报告语法错误
    假如 规则集草稿：
      """
      ruleset "等号草稿" extends "zhejiang" effective 2023-01-01
      rule JX-2 "测试规则" basis "测试"
        when party.kind = individual
        then flag LEGAL_REVIEW
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "syntax-equals"，位于第 3 行

  场景: 规则缺少 then，报告语法错误
    假如 规则集草稿：
      """
      ruleset "缺then草稿" extends "zhejiang" effective 2023-01-01
      rule JX-3 "测试规则"
        when party.age < 14
      rule JX-3B "下一条规则"
        when party.age < 14
        then note "测试"
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "syntax-missing-then"，位于第 4 行

  场景: 写有 basis 的规则缺少 then，同样报告缺少 then
    # 实际的规则都在 when 之前写 basis；这时引擎只报告“unexpected rule”（error[syntax]），
    # 没有说明缺少 then（engine/syntax.py 的 SYNTAX_ERRORS 示例中没有带 basis 的写法）。
    假如 规则集草稿：
      """
      ruleset "缺then草稿" extends "zhejiang" effective 2023-01-01
      rule JX-3 "测试规则" basis "测试"
        when party.age < 14
      rule JX-3B "下一条规则" basis "测试"
        when party.age < 14
        then note "测试"
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "syntax-missing-then"，位于第 4 行
    而且 加载错误信息包含 "then"

  场景: 标记未声明
    假如 规则集草稿：
      """
      ruleset "标记草稿" extends "zhejiang" effective 2023-01-01
      rule JX-4 "测试规则" basis "测试"
        when party.age < 14
        then flag NO_SUCH_FLAG
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "unknown-flag"，位于第 4 行

  场景: 例外规则指向不存在的规则
    假如 规则集草稿：
      """
      ruleset "例外草稿" extends "zhejiang" effective 2023-01-01
      rule JX-5 "测试规则" basis "测试"
        exception to XZCF-99
        when party.age < 14
        then note "测试"
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "unknown-rule"，位于第 3 行

  场景: 与上级同名的规则未写 override
    假如 规则集草稿：
      """
      ruleset "重名草稿" extends "zhejiang" effective 2023-01-01
      rule XZCF-27 "测试规则" basis "测试"
        when party.age < 14
        then note "测试"
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "duplicate"，位于第 2 行

  场景: override 了上级没有的声明
    假如 规则集草稿：
      """
      ruleset "覆盖草稿" extends "zhejiang" effective 2023-01-01
      override rule JX-6 "测试规则" basis "测试"
        when party.age < 14
        then note "测试"
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "override-unknown"，位于第 2 行

  场景: 裁量基准的阶次幅度超出法定幅度
    假如 规则集草稿：
      """
      ruleset "基准草稿" extends "zhejiang" effective 2023-01-01
      benchmark ZJ-SR-32-34 source "测试"
        grade 一般 otherwise: 个人 100..600
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "grade-outside-statute"，位于第 3 行

  场景: 上级规则集不存在
    假如 规则集草稿：
      """
      ruleset "孤儿草稿" extends "zhejiang/不存在" effective 2023-01-01
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "unknown-parent"，位于第 1 行

  场景: 缺少生效日期
    假如 规则集草稿：
      """
      ruleset "无日期草稿" extends "zhejiang"
      county 己县
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "missing-effective"，位于第 1 行

  场景: 清单中列出目录中没有的事项
    假如 规则集草稿：
      """
      ruleset "清单草稿" extends "zhejiang" effective 2023-01-01
      county 己县
      list 己县清单 "测试清单" items ZJ-SR-99
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "unknown-item"，位于第 3 行

  场景: 废止不存在的事项
    假如 规则集草稿：
      """
      ruleset "废止草稿" extends "zhejiang" effective 2023-01-01
      repeal item ZJ-SR-99
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "repeal-unknown"，位于第 2 行

  场景: 条件中把数字与“是/否”比较，报告类型不符
    假如 规则集草稿：
      """
      ruleset "类型草稿" extends "zhejiang" effective 2023-01-01
      rule JX-7 "测试规则" basis "测试"
        when party.age == yes
        then note "测试"
      """
    当 加载该规则集
    那么 规则集加载失败，错误代码为 "type-mismatch"，位于第 3 行

  场景: 草稿可以在测试县的基础上增加事项并评估案件
    假如 规则集草稿：
      """
      ruleset "增项草稿" extends "testcity/testcounty" effective 2024-01-01
      item T-1 "测试事项" domain 市容环境卫生 basis "测试用事项"
        penalty 全部: 罚款 10..20
      """
    而且 案件：
      | 字段       | 值         |
      | 事项       | T-1        |
      | 县         | 甲县       |
      | 行为日期   | 2024-08-01 |
      | 决定日期   | 2024-09-01 |
      | 当事人类型 | 个人       |
    当 评估该案件
    那么 办案主体为 "甲县综合行政执法局"
    而且 罚款幅度为 10 至 20 元
    而且 适用简易程序
