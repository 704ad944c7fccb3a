defmodule Golden.RawSend.FireAndForget do
  # Notifications that need no answer: send is the right tool.
  def notify(pid, event), do: send(pid, {:event, event})

  def handle_cast({:announce, pid}, state) do
    send(pid, {:hello, self()})
    {:noreply, state}
  end

  def reply_later({pid, tag}, value) do
    send(pid, {tag, value})
    :ok
  end

  def wait_a_bit do
    receive do
      :never -> :ok
    after
      10 -> :ok
    end
  end
end
