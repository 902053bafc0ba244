"""The tutorial's linear regression, as written there except the import line.

The tutorial is a PyTorch autograd / linear-regression tutorial.  Its data cell (x_train,
y_train: y = 2x + 1 on 0..10) comes from an earlier cell of it and is written out here, so the
file runs on its own.  Runs on cuda:0 when available, else the CPU.
"""
import gradcore as torch
import gradcore.nn as nn
import numpy as np

x_values = [i for i in range(11)]
x_train = np.array(x_values, dtype=np.float32)
x_train = x_train.reshape(-1, 1)

y_values = [2 * i + 1 for i in x_values]
y_train = np.array(y_values, dtype=np.float32)
y_train = y_train.reshape(-1, 1)


class LinearRegressionModel(nn.Module):
    def __init__(self, input_dim, output_dim):
        super(LinearRegressionModel, self).__init__()
        self.Linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        out = self.Linear(x)
        return out


input_dim = 1
output_dim = 1

model = LinearRegressionModel(input_dim, output_dim)

device = torch.device("cuda:0" if torch.cuda.is_available() else "CPU")
model.to(device)

criterion = nn.MSELoss()  # 定义损失函数

learning_rate = 0.01  # 指定学习率

optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)  # 指定优化器

epochs = 1000  # 训练次数
for epoch in range(epochs):
    epoch += 1

    inputs = torch.from_numpy(x_train).to(device)  # 转array格式为 tensor
    labels = torch.from_numpy(y_train).to(device)

    optimizer.zero_grad()  # 梯度清零

    outputs = model(inputs)  # 前向传播

    loss = criterion(outputs, labels)  # 计算损失

    loss.backward()  # 反向传播

    optimizer.step()  # 更新权重参数
    if epoch % 50 == 0:
        print('epoch {},loss {}'.format(epoch, loss.item()))
