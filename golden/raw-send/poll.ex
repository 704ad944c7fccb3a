defmodule Golden.RawSend.Poll do
  # `after 0` looks into the mailbox without waiting: not a request/reply.
  def kick(pid) do
    send(pid, {:kick, self()})

    receive do
      {:kicked, _} -> :already
    after
      0 -> :sent
    end
  end
end
