defmodule Golden.BlockingCallback.NotGenServer do
  # A plain module whose function happens to be called handle_call.
  def handle_call(request, _from, state) do
    Process.sleep(100)
    {:reply, request, state}
  end

  def init(arg) do
    :timer.sleep(10)
    arg
  end
end
