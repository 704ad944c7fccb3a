defmodule Golden.BlockingCallback.CallerFun do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_call({:run, fun}, _from, state) do
    {:reply, fun.(state), state}
  end

  def handle_call({:apply, fun, args}, _from, state) do
    {:reply, apply(fun, args), state}
  end

  # A function of the module's own, not one the caller sent: not reported.
  def handle_call(:double, _from, state) do
    double = fn x -> x * 2 end
    {:reply, double.(state), state}
  end
end
